"""A resolver the tests control, for `--set TWISTED_DNS_RESOLVER=scripted_resolver.ScriptedResolver`
(with tests/ on PYTHONPATH): edcat's PinnedResolver with its lookup answered from a script.

$EDCAT_TEST_DNS is JSON {"host": [[addresses of the 1st lookup], [of the 2nd], ...]} (the last
answer repeats; a rebinding server answers differently each time); a host it lacks does not
resolve. Every real lookup is appended to the file $EDCAT_TEST_DNS_LOG.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from crawler.resolver import PinnedResolver


class ScriptedResolver(PinnedResolver):
    def lookup(self, host: str) -> list[str]:
        log = Path(os.environ["EDCAT_TEST_DNS_LOG"])
        earlier = log.read_text().split().count(host) if log.exists() else 0
        with log.open("a") as handle:
            handle.write(host + "\n")
        answers = json.loads(os.environ["EDCAT_TEST_DNS"]).get(host)
        if not answers:
            raise OSError(f"{host}: Name or service not known")
        return answers[min(earlier, len(answers) - 1)]
