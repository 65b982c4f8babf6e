"""`python main.py <command> [flags]` in a checkout: the same as the `sparselab` console script."""
from sparselab.main import console

if __name__ == "__main__":
    console()
