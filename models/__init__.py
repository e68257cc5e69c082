"""Pure stream models: text, clustering, risk scoring, alert policy, replay."""
