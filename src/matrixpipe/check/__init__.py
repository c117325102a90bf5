"""Stage 1–3: load, validate, index and resolve every entry; `run.check` is the orchestrator.

`load` reads and parses each file once (libyaml through `yamlload`), `validate` turns its data
into a model, `facts` boils it down to what it defines and refers to (with `links` and `safety`
for its Markdown), `resolve` judges those facts against each other and assembles the
`Collection`. `cache` keeps each file's findings and facts between runs; `online` asks whether
external links answer.
"""
