"""One module per CLI command that reads the collection (check, build/render/serve, export,
summary, schema, rules, redirects): each a function returning an exit code, which the tests
call too; `cli.py` only parses arguments. Commands that write entries live in `edit/`."""
