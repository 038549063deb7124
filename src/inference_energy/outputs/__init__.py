"""What people read: flat JSON records, figures, the self-contained HTML report.

- ``records``: the flat records of the CLI's JSON contract (paper runs);
- ``plots``: one function per figure, each taking a result DataTree;
- ``report``: one HTML page (figures embedded) with estimates, diagnostics, provenance.

Imports anything below it (``posterior``, ``model``, ``paper``, ``data``,
``files``, ``stats``); only ``cli`` and the package's public API import it.
"""
