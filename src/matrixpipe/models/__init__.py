"""The content model (`entries`), the JSON API's documents (`api`) and the JSON Schemas made
from them (`schemas`). `matrixpipe.models.Study` and friends are the entry models."""

from matrixpipe.models.entries import *  # noqa: F403
