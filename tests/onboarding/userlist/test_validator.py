"""SPEC O2: the user-list validator on good and bad files, real-world quirks included, and
fuzzed: no input crashes it, and it never returns both rows and problems."""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onboarding.userlist import validator
from onboarding.userlist.validator import Context, validate

CONTEXT = Context(domains=("alfa.example",), licences=100)
HEADER = "email,first_name,last_name,department"


def csv_bytes(*lines: str, newline: str = "\n", encoding: str = "utf-8") -> bytes:
    return newline.join(lines).encode(encoding)


def where(result: validator.Result) -> list[tuple[int, str]]:
    return [(p.row, p.column) for p in result.problems]


def test_o2_a_good_file_gives_every_row_and_no_problem():
    """A file in the template loads: addresses lower-cased, optional columns empty."""
    result = validate(
        csv_bytes(HEADER, "Mario.Rossi@Alfa.example,Mario,Rossi,IT", "g@alfa.example,Giulia,B,"),
        CONTEXT,
    )
    assert result.ok and result.encoding == "utf-8" and result.delimiter == ","
    assert [r["email"] for r in result.rows] == ["mario.rossi@alfa.example", "g@alfa.example"]
    assert result.rows[1]["department"] == "" and result.rows[0]["language"] == ""


def test_o2_the_downloadable_template_validates_on_the_example_domain():
    """The template's header and two example rows are themselves a valid file."""
    result = validate(validator.template_csv().encode(), Context(("example.com",), 10))
    assert result.ok and len(result.rows) == 2


def test_o2_semicolon_bom_and_crlf_of_a_european_spreadsheet_are_accepted():
    """Excel in Italy: "CSV UTF-8" with a BOM, semicolons and CRLF; the detection is told."""
    data = b"\xef\xbb\xbf" + csv_bytes(
        "email;first_name;last_name;location",
        "a@alfa.example;Anna;Verdi;Milano, centro",
        newline="\r\n",
    )
    result = validate(data, CONTEXT)
    assert result.ok and result.delimiter == ";" and result.encoding == "utf-8-sig"
    assert result.rows[0]["location"] == "Milano, centro"


def test_o2_windows_1252_is_detected_and_decoded():
    data = csv_bytes(HEADER, "n@alfa.example,Niccolò,Mazzà,Ufficio €", encoding="cp1252")
    result = validate(data, CONTEXT)
    assert result.ok and result.encoding == "windows-1252"
    assert result.rows[0]["first_name"] == "Niccolò" and result.rows[0]["department"] == "Ufficio €"


def test_o2_quoted_commas_and_line_breaks_stay_in_their_cell():
    data = csv_bytes(HEADER, 'q@alfa.example,"Anna, Maria","Rossi\nBianchi","R&D, Lab"')
    result = validate(data, CONTEXT)
    assert result.ok and result.rows[0]["first_name"] == "Anna, Maria"


def test_o2_header_columns_may_be_in_any_order_and_case():
    result = validate(
        csv_bytes("Last Name,EMAIL,First_Name", "Rossi,m@alfa.example,Mario"), CONTEXT
    )
    assert result.ok and result.rows[0]["last_name"] == "Rossi"


def test_o2_every_problem_is_reported_by_row_and_column_and_nothing_loads():
    """Invalid, duplicate, foreign-domain and missing values: each on its row and column."""
    data = csv_bytes(
        HEADER,
        "ok@alfa.example,Ok,Row,",
        "not-an-address,A,B,",
        "ok@alfa.example,Dup,Row,",
        "x@beta.example,Foreign,Row,",
        "m@alfa.example,,Row,",
    )
    result = validate(data, CONTEXT)
    assert result.rows == ()
    assert where(result) == [(3, "email"), (4, "email"), (5, "email"), (6, "first_name")]
    assert "row 2" in result.problems[1].message
    assert "beta.example" in result.problems[2].message


def test_o2_missing_and_unknown_header_columns_are_named():
    result = validate(csv_bytes("email,nome,last_name", "a@alfa.example,A,B"), CONTEXT)
    text = " ".join(p.message for p in result.problems)
    assert "first_name" in text and "nome" in text and result.rows == ()
    assert all(p.row == 1 for p in result.problems)


def test_o2_a_file_without_header_is_refused_naming_the_required_columns():
    result = validate(csv_bytes("a@alfa.example,Anna,Rossi"), CONTEXT)
    assert not result.ok and "email" in result.problems[0].message


def test_o2_a_subdomain_of_a_registered_domain_is_accepted_but_a_lookalike_is_not():
    data = csv_bytes(HEADER, "a@mail.alfa.example,A,B,", "b@evilalfa.example,A,B,")
    assert where(validate(data, CONTEXT)) == [(3, "email")]


def test_o2_more_rows_than_licences_bought_is_refused():
    data = csv_bytes(HEADER, *[f"u{i}@alfa.example,U,{i}," for i in range(3)])
    result = validate(data, Context(("alfa.example",), 2))
    assert not result.ok and "2" in result.problems[0].message and result.rows == ()


def test_o2_an_empty_file_a_header_only_and_blank_lines_are_refused_clearly():
    assert "empty" in validate(b"", CONTEXT).problems[0].message
    assert "empty" in validate(b"\r\n \r\n", CONTEXT).problems[0].message
    assert not validate(csv_bytes(HEADER, ";;;", ""), CONTEXT).ok


def test_o2_trailing_empty_rows_of_a_spreadsheet_are_ignored():
    data = csv_bytes("email;first_name;last_name", "a@alfa.example;A;B", ";;", ";;", "")
    assert validate(data, CONTEXT).ok


def test_o2_a_binary_file_renamed_csv_is_refused():
    """PNG bytes, a NUL byte, an Excel workbook and UTF-16: refused, with the reason."""
    for data in (
        b"\x89PNG\r\n\x1a\n\x00\x00",
        b"email\x00,x",
        b"PK\x03\x04rest",
        "email".encode("utf-16"),
    ):
        result = validate(data, CONTEXT)
        assert not result.ok and result.rows == ()
        assert result.problems[0].row == 0


def test_o2_a_file_over_the_cap_is_refused_before_it_is_parsed():
    data = csv_bytes(HEADER, "a@alfa.example,A,B,")
    result = validate(data, Context(("alfa.example",), 10, max_bytes=10))
    assert not result.ok and "MB" in result.problems[0].message


def test_o2_tab_separated_files_are_refused_saying_so():
    result = validate(csv_bytes("email\tfirst_name\tlast_name", "a@alfa.example\tA\tB"), CONTEXT)
    assert not result.ok and result.delimiter == "\t" and "tab" in result.problems[0].message


def test_o2_an_unquoted_separator_inside_a_cell_is_reported_on_its_row():
    result = validate(csv_bytes("email,first_name,last_name", "a@alfa.example,A,B,extra"), CONTEXT)
    assert where(result) == [(2, "")]


def test_o2_a_too_long_cell_and_an_unknown_language_are_refused():
    data = csv_bytes("email,first_name,last_name,language", f"a@alfa.example,{'A' * 101},B,xx")
    assert where(validate(data, CONTEXT)) == [(2, "first_name"), (2, "language")]


def test_o2_the_diff_tells_added_changed_removed_and_unchanged():
    rows = validate(
        csv_bytes(HEADER, "a@alfa.example,A,B,IT", "b@alfa.example,B,B,HR"), CONTEXT
    ).rows
    current = {
        "a@alfa.example": {
            **dict.fromkeys(validator.NAMES, ""),
            "email": "a@alfa.example",
            "first_name": "A",
            "last_name": "B",
            "department": "Sales",
        },
        "c@alfa.example": {**dict.fromkeys(validator.NAMES, ""), "email": "c@alfa.example"},
    }
    change = validator.diff(rows, current)
    assert [r["email"] for r in change.added] == ["b@alfa.example"]
    assert change.changed_fields == {"a@alfa.example": ("department",)}
    assert [r["email"] for r in change.removed] == ["c@alfa.example"] and change.unchanged == 0


def test_csv_injection_cells_are_neutralised_in_exports():
    """A cell starting with = + - @ is written as text, never as a formula."""
    out = validator.to_csv([{"email": "a@alfa.example", "first_name": '=HYPERLINK("http://x")'}])
    assert "'=HYPERLINK" in out and ",=HYPERLINK" not in out


# --------------------------------------------------------------------------- fuzzing

CELL = st.text(alphabet=string.ascii_letters + string.digits + "@.,;\"' \n\r\t-=àé€", max_size=20)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=2000))
def test_o2_fuzz_arbitrary_bytes_never_crash_nor_half_load(data):
    result = validate(data, CONTEXT)
    assert not (result.rows and result.problems)
    assert result.rows or result.problems


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.lists(st.lists(CELL, min_size=0, max_size=9), max_size=15),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["\n", "\r\n"]),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    st.booleans(),
)
def test_o2_fuzz_csv_like_text_never_crashes_nor_half_loads(
    rows, delimiter, newline, encoding, header
):
    lines = [delimiter.join(cells) for cells in rows]
    if header:
        lines.insert(0, delimiter.join(validator.NAMES))
    data = newline.join(lines).encode(encoding, errors="replace")
    result = validate(data, CONTEXT)
    assert not (result.rows and result.problems)
    assert result.rows or result.problems
    for problem in result.problems:
        assert problem.message and problem.row >= 0
