"""The generated pages: home and matrix grids, cells, studies, indexes, and their shared parts."""
