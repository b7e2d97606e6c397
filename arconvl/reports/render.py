"""Table cells and their Markdown / LaTeX text: one table structure, one renderer per format.

Numbers are in percent with one decimal ("82.3±0.8"); a cell with fewer finished seeds than the
paper's 10 says how many ("82.3±0.8 (n=2)"); a cell with one seed has no std ("82.3 (n=1)"); a cell
without any finished run is "–".
"""

import math
from dataclasses import dataclass, field

from arconvl.reports.names import METHOD_LATEX_NAMES, display_name

MISSING = "–"
DAGGER = "†"
FULL_SEEDS = 10  # repeats per cell in the paper
DIGITS = 1


@dataclass(frozen=True)
class Cell:
    """One table entry: a mean±std of ``n`` seeds (percent) or, when ``text`` is set, plain text."""

    mean: float = math.nan
    std: float = math.nan
    n: int = 0
    bold: bool = False
    dagger: bool = False
    text: str | None = None


@dataclass
class Table:
    """A rendered-format-independent table: header, labelled rows of cells, caption, footnotes.

    ``header_latex`` holds the header cells already typeset for LaTeX; ``banner``, when set, is a
    paragraph above the caption (``provenance.smoke_banner``).
    """

    caption: str
    corner: str
    header: list
    header_latex: list
    rows: list = field(default_factory=list)  # (label, [Cell, ...])
    footnotes: list = field(default_factory=list)
    label: str = ""
    banner: str = ""


def format_mean_std(mean, std, n, full_n=FULL_SEEDS, digits=DIGITS):
    """Plain "mean±std" text of one cell in percent (see the module docstring)."""
    return _mean_std(Cell(mean=mean, std=std, n=n), "plain", full_n, digits)


def format_rank(rank):
    """An average rank as the paper prints it: up to three decimals, no trailing zeros."""
    if rank is None or not math.isfinite(rank):
        return MISSING
    return f"{rank:.3f}".rstrip("0").rstrip(".")


def format_p(p):
    """A p-value to two significant digits ("0.058", "0.0015"); scientific below 0.001 ("3.8e-04")."""
    if p is None or not math.isfinite(p):
        return MISSING
    return f"{p:.2g}" if p >= 0.001 else f"{p:.1e}"


def latex_escape(text):
    replacements = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                    "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}"}
    return "".join(replacements.get(ch, ch) for ch in str(text))


def latex_name(method):
    return METHOD_LATEX_NAMES.get(method, latex_escape(display_name(method)))


def _mean_std(cell, fmt, full_n, digits):
    if cell.n == 0 or not math.isfinite(cell.mean):
        return MISSING if fmt != "latex" else "--"
    plus_minus = r"$\pm$" if fmt == "latex" else "±"
    core = f"{cell.mean:.{digits}f}"
    if cell.n > 1 and math.isfinite(cell.std):
        core += f"{plus_minus}{cell.std:.{digits}f}"
    if cell.bold and fmt == "markdown":
        core = f"**{core}**"
    elif cell.bold and fmt == "latex":
        core = rf"\textbf{{{core}}}"
    if cell.n < full_n:
        core += f" (n={cell.n})"
    return core


def render_cell(cell, fmt, full_n=FULL_SEEDS, digits=DIGITS):
    """Text of ``cell`` for ``fmt`` in {"plain", "markdown", "latex"}."""
    if cell.text is None:
        text = _mean_std(cell, fmt, full_n, digits)
    else:
        text = cell.text
        if fmt == "latex":
            text = "--" if text == MISSING else latex_escape(text)
        if cell.bold and fmt == "markdown":
            text = f"**{text}**"
        elif cell.bold and fmt == "latex":
            text = rf"\textbf{{{text}}}"
    if cell.dagger:
        text += r"$^\dagger$" if fmt == "latex" else DAGGER
    return text


def to_markdown(table, full_n=FULL_SEEDS):
    """The table as GitHub Markdown: caption, pipe table, footnotes."""
    lines = [f"> **{table.banner}**", ""] if table.banner else []
    lines += [f"**{table.caption}**", ""]
    lines.append("| " + " | ".join([table.corner, *table.header]) + " |")
    lines.append("|" + "|".join([":---"] + [":---:"] * len(table.header)) + "|")
    for label, cells in table.rows:
        texts = [render_cell(cell, "markdown", full_n) for cell in cells]
        lines.append("| " + " | ".join([label, *texts]) + " |")
    for note in table.footnotes:
        lines += ["", note]  # one paragraph each
    return "\n".join(lines) + "\n"


def to_latex(table, full_n=FULL_SEEDS):
    """The table as a LaTeX ``table`` environment (needs ``\\usepackage{booktabs}``)."""
    columns = "l" + "c" * len(table.header)
    lines = [
        "% Needs \\usepackage{booktabs}.",
        r"\begin{table}[t]",
        r"\centering",
        rf"\caption{{{_latex_text(table.caption)}}}",
    ]
    if table.label:
        lines.append(rf"\label{{{table.label}}}")
    if table.banner:
        lines.append(r"\par\smallskip\textbf{" + _latex_text(table.banner) + r"}\par\smallskip")
    lines += [
        r"\resizebox{\textwidth}{!}{%",
        rf"\begin{{tabular}}{{{columns}}}",
        r"\toprule",
        " & ".join([latex_escape(table.corner), *table.header_latex]) + r" \\",
        r"\midrule",
    ]
    for label, cells in table.rows:
        texts = [render_cell(cell, "latex", full_n) for cell in cells]
        lines.append(" & ".join([latex_escape(label), *texts]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}}"]
    for note in table.footnotes:
        lines.append(r"\par\smallskip\footnotesize " + _latex_text(note))
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def _latex_text(text):
    """Footnote prose for LaTeX: escaped, with the few symbols the footnotes use typeset."""
    text = latex_escape(text)
    for symbol, macro in ((DAGGER, r"$^\dagger$"), ("χ²", r"$\chi^2$"), ("α", r"$\alpha$"),
                          (MISSING, "--"), ("±", r"$\pm$"), ("−", "-"), ("≥", r"$\geq$"), ("≤", r"$\leq$"),
                          ("…", r"\ldots{}")):
        text = text.replace(symbol, macro)
    return text
