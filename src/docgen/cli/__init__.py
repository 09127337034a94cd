"""The command line: click commands that parse, call one core function, and show the result."""
