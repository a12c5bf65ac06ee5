"""`python -m pain_finder` runs the command-line tool."""

from pain_finder.cli import main

if __name__ == "__main__":
    main()
