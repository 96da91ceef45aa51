"""axe-core in a page: injected from the vendored file (tests/browser/vendor/axe-core), never
fetched, so it runs the same on a fresh clone with no network."""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
#: new_context(**CSP_BYPASS) for a page axe will check.
CSP_BYPASS = {"bypass_csp": True}


def axe_violations(page, context: str = "document") -> list[str]:  # type: ignore[no-untyped-def]
    """Every WCAG 2.x A/AA and best-practice rule axe finds broken on the page as it is now,
    as "rule-id (impact): target, ..." lines (an empty list when it finds none).

    Waits for the page's load event first: contrast and target sizes checked before the
    stylesheet applies are not the page a shopper sees."""
    page.wait_for_load_state("load")
    # Added as an inline <script>: the page's context must be made with bypass_csp=True
    # (CSP_BYPASS below), since the app's policy allows no inline script, rightly.
    page.add_script_tag(path=AXE)
    result = page.evaluate(
        """async (context) => {
            const found = await axe.run(context === "document" ? document : context, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                "wcag22aa", "best-practice"]},
            });
            return found.violations.map(v => `${v.id} (${v.impact}): ` +
                v.nodes.slice(0, 5).map(n => n.target.join(" ")).join(", "));
        }""",
        context,
    )
    return list(result)
