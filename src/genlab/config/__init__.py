"""Configuration: every option of every command declared once, checked when a config is built.

Torch-free (the CLI builds its parsers and help from these declarations without importing torch).
"""

from genlab.config.fields import option
from genlab.config.run import (
    RESUMABLE_CHANGES,
    DataConfig,
    RunConfig,
    TrainConfig,
    differences,
    flatten,
    from_dict,
)

__all__ = ["RESUMABLE_CHANGES", "DataConfig", "RunConfig", "TrainConfig", "differences", "flatten",
           "from_dict", "option"]
