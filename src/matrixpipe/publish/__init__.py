"""Stage 4: the collection published, as a site (through MkDocs) and headless files.

`view` decides once what is public and where each page lives; every output reads it: the pages
(`pages/`, `feeds`, `redirects`, through `render` into the generated docs folder), the JSON API
(`api`), the downloads (`downloads`, `references`, `tables`, `citation`). `sanitize` is the one
converter of contributor Markdown; `site` builds the site with MkDocs beside the render
(`pagegate`, `forked`), atomically; `memo` keeps the render's slow results between runs.
"""
