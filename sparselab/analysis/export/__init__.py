"""Export a finished job to a deployable model (`python main.py export <job dir> --format=...`)."""
