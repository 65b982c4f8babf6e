"""`python -m sparselab <command> [flags]`."""
from sparselab.main import console

console()
