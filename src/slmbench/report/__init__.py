"""report stage. The package is also the API function (`slmbench.options.CallableModule`):
`slmbench.report(ReportOptions(...))` calls `slmbench.report.api.report`."""

import sys

from slmbench.options import CallableModule


class _ReportPackage(CallableModule):
    def __call__(self, options):
        """Build the report and/or publish the claims: `slmbench.report.api.report`."""
        from slmbench.report.api import report

        return report(options)


sys.modules[__name__].__class__ = _ReportPackage
