"""The Faust stream processing stage: one app, its topics and agents."""
