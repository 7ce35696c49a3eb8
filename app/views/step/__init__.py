"""The Step by step page's widget groups (app/views/step_by_step.py lays them out)."""
