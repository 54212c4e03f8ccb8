"""The HTML report's one stylesheet and the Content-Security-Policy that admits only it.

The report is opened offline and from CI artifacts, so it carries its CSS inline and loads
nothing: no fonts, images, scripts or frames. The policy names the stylesheet by its SHA-256,
so not even an injected ``style`` attribute or element would apply.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Final

__all__ = ["CSP", "CSS", "bar_class"]

_BAR_STEPS: Final = range(0, 101, 5)

CSS: Final = (
    """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--accent:#0b5cad;
--critical:#82071e;--high:#cf222e;--medium:#9a6700;--low:#0969da;--info:#59636e;
--ok:#1a7f37;--mono:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",
monospace}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
margin:0;color:var(--fg);background:#fff}
.page{max-width:72rem;margin:0 auto;padding:0 1.5rem 3rem}
header.top{background:#0d1b2a;color:#fff;padding:1.4rem 0 1.2rem}
header.top .page{padding-bottom:0}
.brand{font-size:.8rem;letter-spacing:.12em;text-transform:uppercase;color:#9fb3c8;
font-weight:600}
h1{font-size:1.6rem;margin:.2rem 0 .3rem;font-weight:650}
header.top .target{margin:0;color:#d8e2ec;word-break:break-all}
header.top code{color:#fff;background:rgba(255,255,255,.1)}
h2{font-size:1.25rem;margin:2.2rem 0 .8rem;padding-bottom:.35rem;
border-bottom:1px solid var(--line)}
h3{font-size:1.05rem;margin:0}
h4{font-size:.75rem;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);
margin:.9rem 0 .3rem}
code,pre{font-family:var(--mono);font-size:.86em}
code{background:var(--soft);padding:.05rem .3rem;border-radius:4px;word-break:break-word}
code.view{word-break:normal;overflow-wrap:normal}
a{color:var(--accent)}
nav.toc{border-bottom:1px solid var(--line);background:var(--soft)}
nav.toc ul{list-style:none;margin:0 auto;padding:.55rem 1.5rem;display:flex;flex-wrap:wrap;
gap:.4rem 1.4rem}
nav.toc a{text-decoration:none;font-weight:550}
.cards{display:grid;grid-template-columns:minmax(16rem,1fr) minmax(16rem,1.4fr);gap:1rem}
.card{border:1px solid var(--line);border-radius:8px;padding:1rem 1.2rem;background:#fff}
.grade{display:flex;gap:1.1rem;align-items:center}
.letter{flex:none;width:4.2rem;height:4.2rem;border-radius:10px;display:flex;
align-items:center;justify-content:center;font-size:2.4rem;font-weight:700;color:#fff}
.grade-A{background:#1a7f37}.grade-B{background:#4d8f1f}.grade-C{background:#9a6700}
.grade-D{background:#bc4c00}.grade-F{background:#a40e26}.grade-none{background:#8c959f}
.grade p{margin:.2rem 0 0;color:var(--muted);font-size:.9rem}
.big{font-size:1.35rem;font-weight:650}
.counts{display:grid;grid-template-columns:repeat(5,1fr);gap:.5rem;margin:.6rem 0 0;
padding:0;list-style:none}
.counts li{border-radius:6px;padding:.35rem .5rem;background:var(--soft);
border-top:4px solid var(--info);text-align:center}
.counts .n{display:block;font-size:1.4rem;font-weight:700}
.counts .zero{color:var(--muted);border-top-color:var(--line)}
.counts .critical{border-top-color:var(--critical)}.counts .high{border-top-color:var(--high)}
.counts .medium{border-top-color:var(--medium)}.counts .low{border-top-color:var(--low)}
.verdict{margin:1rem 0 .3rem;font-weight:600}
.verdict.fail{color:var(--high)}.verdict.pass{color:var(--ok)}
.stats{color:var(--muted);margin:.2rem 0}
table{border-collapse:collapse;width:100%}
th,td{padding:.4rem .7rem;border-bottom:1px solid var(--line);text-align:left;
vertical-align:top}
th{font-size:.78rem;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.bar{display:inline-block;width:10rem;height:.6rem;border-radius:3px;background:#eaeef2;
vertical-align:middle;margin-right:.6rem;overflow:hidden}
.bar span{display:block;height:100%;background:var(--ok)}
.bar.warn span{background:var(--medium)}.bar.bad span{background:var(--high)}
.sev,.tag{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.75rem;
font-weight:650;color:#fff;text-transform:uppercase;letter-spacing:.04em;vertical-align:1px}
.sev.critical{background:var(--critical)}.sev.high{background:var(--high)}
.sev.medium{background:var(--medium)}.sev.low{background:var(--low)}
.sev.info{background:var(--info)}
.tag.open{background:var(--high)}.tag.auth{background:var(--ok)}
.tag.unknown{background:var(--medium)}
.rule{font-family:var(--mono);font-weight:650;margin:0 .35rem}
.route{border:1px solid var(--line);border-radius:8px;margin:1.2rem 0;overflow:hidden}
.route>header{background:var(--soft);padding:.7rem 1rem;border-bottom:1px solid var(--line)}
.route>header p{margin:.2rem 0 0;color:var(--muted);font-size:.9rem}
.route h3 code{background:none;padding:0;font-size:1rem}
.finding{padding:.9rem 1rem 1rem;border-left:5px solid var(--info)}
.finding+.finding{border-top:1px solid var(--line)}
.finding.critical{border-left-color:var(--critical)}.finding.high{border-left-color:var(--high)}
.finding.medium{border-left-color:var(--medium)}.finding.low{border-left-color:var(--low)}
.finding .title{font-weight:600}
dl.facts{display:flex;flex-wrap:wrap;gap:.3rem 1.8rem;margin:.6rem 0 0;font-size:.92rem}
dl.facts div{display:flex;gap:.45rem;align-items:baseline}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
pre{margin:0;white-space:pre-wrap;word-break:break-word;background:var(--soft);
border:1px solid var(--line);border-radius:6px;padding:.5rem .7rem}
pre.source{padding:.4rem 0;white-space:pre;overflow-x:auto;word-break:normal;line-height:1.45}
pre.source .line{display:block;padding:0 .7rem 0 0}
pre.source .ln{display:inline-block;width:3.2rem;padding-right:.8rem;text-align:right;
color:var(--muted);user-select:none}
pre.source .focus{background:#fff1c2}
pre.source .focus .ln{color:var(--fg);font-weight:700}
.fix{border:1px solid #aceebb;background:#effcf2;border-radius:6px;padding:.55rem .8rem;
margin-top:.9rem}
.fix h4{margin:0 0 .2rem;color:var(--ok)}.fix p{margin:0}
ol.todo{padding-left:1.6rem}ol.todo li{margin:.45rem 0}
ol.todo .where{font-family:var(--mono);font-size:.88em}
.muted{color:var(--muted)}
footer{margin-top:3rem;padding-top:.8rem;border-top:1px solid var(--line);color:var(--muted);
font-size:.85rem}
@media (max-width:50rem){.cards{grid-template-columns:1fr}.counts{grid-template-columns:
repeat(3,1fr)}}
@media print{body{font-size:10.5pt}.page{max-width:none;padding:0 0 1rem}nav.toc{display:none}
header.top{background:none;color:#000;border-bottom:2px solid #000}
header.top .brand,header.top .target{color:#333}header.top code{color:#000}
.route,.card{border-color:#999}.finding,.card,tr,.fix,pre{break-inside:avoid}
h2,h3,.route>header{break-after:avoid}a{color:inherit;text-decoration:none}
pre.source{white-space:pre-wrap}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
""".strip()
    + "\n"
    + "".join(f".w{step}{{width:{step}%}}" for step in _BAR_STEPS)
    + "\n"
)
"""The whole stylesheet (inline in the report's ``<style>`` element)."""

_DIGEST: Final = base64.b64encode(hashlib.sha256(CSS.encode("utf-8")).digest()).decode("ascii")

CSP: Final = (
    f"default-src 'none'; style-src 'sha256-{_DIGEST}'; base-uri 'none'; form-action 'none'"
)
"""The report's policy: nothing loads, only :data:`CSS` applies, no form or base URL."""


def bar_class(score: int) -> str:
    """The width class (``w75``) of a 0-100 score's bar, in steps of five."""
    clamped = max(0, min(100, score))
    return f"w{round(clamped / 5) * 5}"
