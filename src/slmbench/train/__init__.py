"""train stage. The package is also the API function (`slmbench.options.CallableModule`):
`slmbench.train(TrainOptions(...))` calls `slmbench.train.api.train`."""

import sys

from slmbench.options import CallableModule


class _TrainPackage(CallableModule):
    def __call__(self, options, callbacks=None) -> dict:
        """Fine-tune into `options.out`: `slmbench.train.api.train`."""
        from slmbench.train.api import train

        return train(options, callbacks=callbacks)


sys.modules[__name__].__class__ = _TrainPackage
