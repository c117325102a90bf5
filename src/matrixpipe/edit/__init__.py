"""The commands that write entries: `new` (scaffolds), `place` (another cell for a study), `fmt` (the house style, keeping comments),
`importer` (reference-manager files, read by `readers`). Every write is atomic and round-trips
through ruamel.yaml, so no comment or key is lost."""
