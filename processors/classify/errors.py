"""Why a classifier model cannot be used. All are `SportelloError`s and none is retriable:
the fix is to retrain (`sportello train`) or to install the pinned scikit-learn."""

from runtime.errors import SportelloError


class ModelError(SportelloError):
    """A model artifact could not be loaded."""


class ModelNotFound(ModelError):
    """No model file or no version file at the given place."""


class ModelVersionMismatch(ModelError):
    """The model was saved by another scikit-learn or format version (pickles are tied to
    the library that wrote them), or it predicts categories the taxonomy does not have."""


class ModelCorrupt(ModelError):
    """The model file does not match the digest in its version file."""
