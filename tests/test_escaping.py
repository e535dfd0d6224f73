"""md() and safe_url(): untrusted text into Markdown, untrusted addresses into links.

md() output is read back here with CommonMark's rules for the only two constructs it may
contain (backslash escapes and code spans): the reading must give the input exactly (line breaks
as spaces), no character Markdown or Streamlit acts on may stand unescaped outside a code span,
and no bare address (which GitHub-flavoured Markdown links even when escaped, as the browser test
found) may stand outside a code span."""
import re
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from app_pages.common import md, safe_url

# What Markdown (emphasis, links, images, code, headings, lists, tables, HTML, entities) and
# Streamlit (:red[...] directives, :emoji:, $math$) read.
ACTIVE = set("\\`*_{}[]()#+-.!|<>~$:=&\"'")
PUNCT = set(string.punctuation)
# What GitHub-flavoured Markdown turns into a link by itself (micromark/mdast autolink literals).
BARE_LINK = re.compile(r"https?://|www\.|[-.\w+]+@[-\w]+\.\w", re.I)


def read(markdown: str) -> list[tuple[str, str]]:
    """CommonMark's reading of backslash escapes and code spans: [(kind, text)], kind "text" or
    "code"; any other unescaped active character is reported as kind "bare"."""
    out, i, n = [], 0, len(markdown)
    while i < n:
        c = markdown[i]
        if c == "\\" and i + 1 < n and markdown[i + 1] in PUNCT:
            out.append(("text", markdown[i + 1]))
            i += 2
        elif c == "`":
            j = i
            while j < n and markdown[j] == "`":
                j += 1
            fence = markdown[i:j]
            close = re.compile(rf"(?<!`){fence}(?!`)").search(markdown, j)
            assert close, f"an unclosed code span in {markdown!r}"
            content = markdown[j:close.start()]
            if content.startswith(" ") and content.endswith(" ") and content.strip(" "):
                content = content[1:-1]
            out.append(("code", content))
            i = close.end()
        elif c in ACTIVE:
            out.append(("bare", c))
            i += 1
        else:
            out.append(("text", c))
            i += 1
    return out


def check(text: str) -> None:
    parts = read(md(text))
    assert [p for p in parts if p[0] == "bare"] == [], md(text)
    assert "".join(p[1] for p in parts) == re.sub(r"\r\n?|\n", " ", text)
    # plain stretches between code spans: rejoin them and look for an address
    plain = "".join(p[1] if p[0] == "text" else "\0" for p in parts)
    assert not BARE_LINK.search(plain), md(text)


HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    '<a href="javascript:alert(3)">x</a>',
    '<iframe src="http://evil.example/f"></iframe>',
    "[click](http://evil.example/x)",
    "![img](http://evil.example/y.png)",
    "see http://evil.example/x, or WWW.evil.example and mail press@evil.example",
    "UN `code` ``double`` ` edge`",
    "http://a.b/``x`",
    ":red[alarm] :smile: $x^2$ **bold** _it_ # heading\n- item\n1. one | a | b |",
    "&lt;b&gt; &#60;i&#62; \\*not bold\\*",
]


def test_hostile_strings_read_back_literally_with_no_link():
    for s in HOSTILE:
        check(s)
    assert md("[click](http://evil.example/x)") == "`[click](http://evil.example/x)`"
    assert md("a <b>") == "a \\<b\\>"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(
    st.sampled_from(["http://", "https://", "www.", "@", ".org", "`", "``", " ", "\n", "\r\n",
                     "\\", "<", ">", "[", "](", ")", "!", ":", "$", "*", "_", "x", "é", "\t"]),
    st.characters(codec="utf-8", exclude_categories=("Cs",))), max_size=40).map("".join))
def test_any_text_reads_back_literally_with_no_link(text):
    check(text)


def test_safe_url_keeps_only_http_addresses():
    assert safe_url(" https://example.org/a?b=1 ") == "https://example.org/a?b=1"
    assert safe_url("HTTP://EXAMPLE.ORG") == "HTTP://EXAMPLE.ORG"
    for bad in ["javascript:alert(3)", " JavaScript:alert(1)", "data:text/html,<script>",
                "vbscript:x", "//evil.example/x", "http://evil.example/<script>",
                'http://a.b/" onmouseover="x', "", None]:
        assert safe_url(bad) == ""
