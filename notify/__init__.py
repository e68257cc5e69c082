"""Outbound delivery of alert notifications: e-mail, group-robot webhooks, SMS, with a log."""
