"""The command line: click commands that parse, call one core function, and show the result."""

from docgen.cli import zh

zh.install()  # click's own words in Chinese, before any command is defined
