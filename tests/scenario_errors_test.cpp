// Error messages of `clustersim check`: one test per kind of bad input. Each checks the exit
// code and the compiler-style diagnostic "FILE:LINE:COL: error: key.path: message".
// Bad scenario files live in tests/data/bad/; files that cannot be committed as text (NUL bytes)
// and corrupted catalogs are written to a temporary directory.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "app/cli.hpp"
#include "catalog/catalog.hpp"
#include "scenario/catalog_loader.hpp"
#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;
using clustersim::app::run_cli;

const std::string source_dir = CLUSTERSIM_SOURCE_DIR;
const std::string models_dir = source_dir + "/models";

std::string bad(std::string_view name) { return source_dir + "/tests/data/bad/" + std::string(name); }

struct Result {
    int code = -1;
    std::string out;
    std::string err;
};

// `clustersim --catalog DIR check FILES...`; the catalog is named explicitly so that
// $CLUSTERSIM_MODELS in the environment cannot change what is tested.
Result check(const std::vector<std::string>& files, const std::string& catalog = models_dir) {
    std::vector<std::string> args{"--catalog", catalog, "check"};
    args.insert(args.end(), files.begin(), files.end());
    std::ostringstream out;
    std::ostringstream err;
    Result r;
    r.code = run_cli(args, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
}

Result check_bad(std::string_view name) { return check({bad(name)}); }

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

// "FILE:LINE:COL: error: " followed by "key.path: " when the problem has a key path.
std::string prefix(const std::string& file, int line, int column, const std::string& key_path) {
    std::string p = file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": error: ";
    if (!key_path.empty()) p += key_path + ": ";
    return p;
}

// True when some line of `err` starts with the location and key path and contains `fragment`.
bool has_diagnostic(const Result& r, const std::string& file, int line, int column, const std::string& key_path,
                    std::string_view fragment) {
    const std::string p = prefix(file, line, column, key_path);
    for (const auto& l : lines_of(r.err)) {
        if (l.rfind(p, 0) == 0 && l.find(fragment, p.size()) != std::string::npos) return true;
    }
    return false;
}

std::string last_line(const std::string& text) {
    const auto lines = lines_of(text);
    return lines.empty() ? std::string() : lines.back();
}

// The exit code is 3, the one diagnostic is exactly where it should be, and the count line says so.
void expect_one_error(std::string_view name, int line, int column, const std::string& key_path,
                      std::string_view fragment) {
    const Result r = check_bad(name);
    INFO("file: ", name, "\nstderr:\n", r.err);
    CHECK(r.code == 3);
    CHECK(r.out.empty());
    CHECK(has_diagnostic(r, bad(name), line, column, key_path, fragment));
    CHECK(lines_of(r.err).size() == 2);
    CHECK(last_line(r.err) == "1 error");
}

using clustersim::test::TempDir;
using clustersim::test::write_file;

constexpr std::string_view ok_scenario = R"(format: 1
scenario: temp-ok
cases:
  - name: a
    chip: nvidia_h100_sxm
    count: 8
  - name: b
    system: hgx_h100_8gpu
)";

}  // namespace

// ---------------------------------------------------------------- YAML level

TEST_CASE("scenario: YAML syntax error, unclosed bracket") {
    expect_one_error("syntax_unclosed_bracket.yaml", 5, 1, "", "YAML syntax error: end of sequence flow not found");
}

TEST_CASE("scenario: YAML syntax error, unclosed quote inside a flow mapping") {
    expect_one_error("syntax_unclosed_quote.yaml", 4, 1, "", "YAML syntax error: end of map flow not found");
}

TEST_CASE("scenario: YAML syntax error, bad indentation") {
    expect_one_error("syntax_bad_indentation.yaml", 6, 4, "", "YAML syntax error:");
}

TEST_CASE("scenario: YAML syntax error, tab used for indentation") {
    expect_one_error("syntax_tab_indentation.yaml", 5, 1, "", "YAML syntax error: illegal tab");
}

TEST_CASE("scenario: YAML error, alias to an undefined anchor") {
    expect_one_error("syntax_undefined_alias.yaml", 3, 8, "", "the referenced anchor is not defined");
}

TEST_CASE("scenario: empty file") {
    expect_one_error("empty.yaml", 1, 1, "", "empty document: expected a mapping of keys");
}

TEST_CASE("scenario: file with only comments is empty") {
    expect_one_error("comments_only.yaml", 1, 1, "", "empty document: expected a mapping of keys");
}

TEST_CASE("scenario: file with NUL bytes") {
    TempDir tmp;
    const fs::path file = tmp.path() / "nul.yaml";
    using namespace std::string_view_literals;
    write_file(file, "format: 1\nscenario: nul\0bytes\ncases: []\n"sv);
    const Result r = check({file.string()});
    INFO(r.err);
    CHECK(r.code == 3);
    CHECK(has_diagnostic(r, file.string(), 1, 1, "", "not a text file (it contains NUL bytes)"));
    CHECK(last_line(r.err) == "1 error");
}

TEST_CASE("scenario: top level is a list, not a mapping") {
    expect_one_error("top_level_list.yaml", 1, 1, "", "expected a mapping of keys, got a list");
}

TEST_CASE("scenario: top level is a scalar, not a mapping") {
    expect_one_error("top_level_scalar.yaml", 1, 1, "", "expected a mapping of keys, got a scalar");
}

TEST_CASE("scenario: duplicate key in a mapping") {
    expect_one_error("duplicate_key.yaml", 7, 5, "cases[0].count", "duplicate key 'count'");
}

// ---------------------------------------------------------------- top-level keys

TEST_CASE("scenario: unknown top-level key with a did-you-mean") {
    // Only the misspelling is reported, not also "missing key 'cases'".
    expect_one_error("unknown_top_key.yaml", 3, 1, "",
                     "unknown key 'casses' (did you mean 'cases'?); valid keys: format, scenario, description, "
                     "baseline, cases, sweep");
}

TEST_CASE("scenario: missing 'scenario'") {
    expect_one_error("missing_scenario.yaml", 1, 1, "", "missing key 'scenario'");
}

TEST_CASE("scenario: missing 'format'") {
    expect_one_error("missing_format.yaml", 1, 1, "", "missing key 'format'");
}

TEST_CASE("scenario: unsupported format 2") {
    expect_one_error("format_2.yaml", 1, 9, "format", "unsupported format 2; this version reads format 1");
}

TEST_CASE("scenario: format that is not an integer") {
    expect_one_error("format_not_integer.yaml", 1, 9, "format", "expected an integer, got '1.0'");
}

TEST_CASE("scenario: missing 'cases'") {
    expect_one_error("missing_cases.yaml", 1, 1, "", "missing key 'cases' (a list of cases)");
}

TEST_CASE("scenario: empty cases list") {
    expect_one_error("empty_cases.yaml", 3, 8, "cases", "expected a non-empty list of cases");
}

TEST_CASE("scenario: cases is a mapping, not a list") {
    expect_one_error("cases_not_list.yaml", 4, 3, "cases", "expected a non-empty list of cases, got a mapping");
}

// ---------------------------------------------------------------- cases

TEST_CASE("scenario: unknown case key with a did-you-mean") {
    expect_one_error("unknown_case_key.yaml", 6, 5, "cases[0]",
                     "unknown key 'cout' (did you mean 'count'?); valid keys: name, description, system, chip, "
                     "count, overrides, baseline");
}

TEST_CASE("scenario: case that is not a mapping") {
    expect_one_error("case_not_mapping.yaml", 4, 5, "cases[0]", "expected a mapping of keys, got a scalar");
}

TEST_CASE("scenario: case without a name") {
    expect_one_error("case_name_missing.yaml", 4, 5, "cases[0]", "missing key 'name'");
}

TEST_CASE("scenario: case with both system and chip") {
    expect_one_error("case_system_and_chip.yaml", 4, 5, "cases[0]",
                     "a case names either a 'system' preset or a 'chip' with a 'count', not both");
}

TEST_CASE("scenario: case with neither system nor chip") {
    expect_one_error("case_neither.yaml", 4, 5, "cases[0]", "a case needs a 'system' preset, or a 'chip' with a 'count'");
}

TEST_CASE("scenario: chip case without count") {
    expect_one_error("count_missing.yaml", 4, 5, "cases[0]", "missing key 'count' (how many chips of 'nvidia_h100_sxm')");
}

TEST_CASE("scenario: count zero") {
    expect_one_error("count_zero.yaml", 6, 12, "cases[0].count", "must be at least 1, got 0");
}

TEST_CASE("scenario: count negative") {
    expect_one_error("count_negative.yaml", 6, 12, "cases[0].count", "must be at least 1, got -8");
}

TEST_CASE("scenario: count with a fraction") {
    expect_one_error("count_fraction.yaml", 6, 12, "cases[0].count", "expected an integer, got '3.5'");
}

TEST_CASE("scenario: count that is a word") {
    expect_one_error("count_word.yaml", 6, 12, "cases[0].count", "expected an integer, got 'many'");
}

TEST_CASE("scenario: count that overflows 64 bits") {
    expect_one_error("count_overflow.yaml", 6, 12, "cases[0].count",
                     "integer '99999999999999999999' does not fit in 64 bits");
}

TEST_CASE("scenario: count above 2^31 is valid") {
    TempDir tmp;
    const fs::path file = tmp.path() / "three-billion.yaml";
    write_file(file, "format: 1\nscenario: three-billion\ncases:\n  - name: a\n    chip: nvidia_h100_sxm\n"
                     "    count: 3000000000\n");
    const Result r = check({file.string()});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    CHECK(r.out == file.string() + ": ok (1 case)\n");
}

TEST_CASE("scenario: unknown chip with a suggestion and the valid names") {
    const Result r = check_bad("unknown_chip.yaml");
    INFO(r.err);
    CHECK(r.code == 3);
    CHECK(has_diagnostic(r, bad("unknown_chip.yaml"), 5, 11, "cases[0].chip",
                         "unknown chip 'nvidia_h100_sxn' (did you mean 'nvidia_h100_sxm'?); valid: "));
    CHECK(has_diagnostic(r, bad("unknown_chip.yaml"), 5, 11, "cases[0].chip", "nvidia_h200_sxm"));
    CHECK(has_diagnostic(r, bad("unknown_chip.yaml"), 5, 11, "cases[0].chip", "(see 'clustersim list chips')"));
    CHECK(last_line(r.err) == "1 error");
}

TEST_CASE("scenario: unknown system with a suggestion and the valid names") {
    const Result r = check_bad("unknown_system.yaml");
    INFO(r.err);
    CHECK(r.code == 3);
    CHECK(has_diagnostic(r, bad("unknown_system.yaml"), 5, 13, "cases[0].system",
                         "unknown system 'gb200_nvl27' (did you mean 'gb200_nvl72'?); valid: "));
    CHECK(has_diagnostic(r, bad("unknown_system.yaml"), 5, 13, "cases[0].system", "hgx_h100_8gpu"));
    CHECK(has_diagnostic(r, bad("unknown_system.yaml"), 5, 13, "cases[0].system", "(see 'clustersim list systems')"));
    CHECK(last_line(r.err) == "1 error");
}

TEST_CASE("scenario: duplicate case names") {
    expect_one_error("duplicate_case_name.yaml", 7, 11, "cases[1].name", "duplicate case name 'a'");
}

TEST_CASE("scenario: invalid characters in a case name") {
    expect_one_error("invalid_case_name.yaml", 4, 11, "cases[0].name",
                     "case names use letters, digits, '_', '-' and '.', got 'h100 x8'");
}

TEST_CASE("scenario: top-level baseline that is not a case") {
    expect_one_error("baseline_top_unknown.yaml", 3, 11, "baseline",
                     "baseline 'h10' is not a case (did you mean 'h100'?); cases: h100");
}

TEST_CASE("scenario: case baseline that is not a case") {
    expect_one_error("baseline_case_unknown.yaml", 10, 15, "cases[1].baseline",
                     "baseline 'h1000' is not a case (did you mean 'h100'?); cases: h100, h200");
}

// ---------------------------------------------------------------- overrides

TEST_CASE("scenario: override of an unknown figure") {
    expect_one_error("override_unknown_figure.yaml", 8, 7, "cases[0].overrides",
                     "unknown key 'hbm_bandwith' (did you mean 'hbm_bandwidth'?); valid keys: bf16_dense");
}

TEST_CASE("scenario: override without its unit") {
    expect_one_error("override_missing_unit.yaml", 8, 22, "cases[0].overrides.hbm_bandwidth",
                     "missing unit in '4': every dimensioned value carries its unit; a data rate is written like "
                     "'900 GB/s'");
}

TEST_CASE("scenario: override with the wrong dimension (data size for a bandwidth)") {
    expect_one_error("override_wrong_dimension_bandwidth.yaml", 8, 22, "cases[0].overrides.hbm_bandwidth",
                     "'96 GB' is a data size, but a data rate is needed");
}

TEST_CASE("scenario: override with the wrong dimension (data rate for a capacity)") {
    expect_one_error("override_wrong_dimension_capacity.yaml", 8, 21, "cases[0].overrides.hbm_capacity",
                     "'400 GB/s' is a data rate, but a data size is needed");
}

TEST_CASE("scenario: override unit in the wrong case gets the bits-vs-bytes hint") {
    expect_one_error("override_unit_case.yaml", 8, 22, "cases[0].overrides.hbm_bandwidth",
                     "unknown unit 'gb/s' in '4 gb/s'; units are case-sensitive ('B' is a byte, 'b' a bit, 'M' mega, "
                     "'m' milli): did you mean 'GB/s' (data rate) or 'Gb/s' (data rate)?");
}

TEST_CASE("scenario: override NaN") {
    expect_one_error("override_nan.yaml", 8, 22, "cases[0].overrides.hbm_bandwidth", "'nan TB/s' is not a finite number");
}

TEST_CASE("scenario: override infinity") {
    expect_one_error("override_inf.yaml", 8, 12, "cases[0].overrides.tdp", "'inf W' is not a finite number");
}

TEST_CASE("scenario: negative override") {
    expect_one_error("override_negative.yaml", 8, 12, "cases[0].overrides.tdp", "must be positive, got '-5 W'");
}

TEST_CASE("scenario: zero override") {
    expect_one_error("override_zero.yaml", 8, 12, "cases[0].overrides.tdp", "must be positive, got '0 W'");
}

TEST_CASE("scenario: scale_up_bandwidth override without a direction") {
    expect_one_error("override_no_direction.yaml", 8, 27, "cases[0].overrides.scale_up_bandwidth",
                     "say the direction of this bandwidth: {value: \"900 GB/s\", direction: one-way} or direction: "
                     "both-ways");
}

TEST_CASE("scenario: override with an invalid direction word") {
    // Only the exit code and the line are checked: the message and column wait for a loader fix
    // (a map-form override loses its 'direction' key; see the test suite's hand-over notes).
    expect_one_error("override_bad_direction.yaml", 8, 58, "cases[0].overrides.scale_up_bandwidth.direction",
                     "'bothways' is not valid (did you mean 'both-ways'?); valid: one-way, both-ways");
}

// ---------------------------------------------------------------- sweeps

TEST_CASE("scenario: sweep over a key that cannot be swept") {
    expect_one_error("sweep_not_sweepable.yaml", 4, 3, "sweep",
                     "cannot sweep 'name': a sweep point is named after its case and its axis values");
}

TEST_CASE("scenario: sweep over overrides without naming the figure") {
    expect_one_error("sweep_override_without_figure.yaml", 4, 3, "sweep",
                     "name the figure to sweep, e.g. 'overrides.hbm_bandwidth'");
}

TEST_CASE("scenario: sweep axis with an empty list") {
    expect_one_error("sweep_empty_axis.yaml", 4, 10, "sweep.count", "expected a non-empty list of values");
}

TEST_CASE("scenario: duplicate sweep axis") {
    expect_one_error("sweep_duplicate_axis.yaml", 5, 3, "sweep.count", "duplicate sweep axis 'count'");
}

TEST_CASE("scenario: invalid sweep value is reported once, where the value is written") {
    // "x" is reached at two sweep points (overrides.tdp has two values): one diagnostic.
    expect_one_error("sweep_bad_value.yaml", 4, 14, "sweep.count[1]", "expected an integer, got 'x'");
}

// Field axes (any key path inside a case), ranges and zip groups (docs/scenario-format.md, "Sweeps").

TEST_CASE("scenario: a malformed sweep axis key path") {
    expect_one_error("sweep_bad_key_path.yaml", 6, 3, "sweep",
                     "cannot sweep 'training..global_batch': an axis key is a case key, or a path of keys joined by '.'");
}

TEST_CASE("scenario: a field axis that adds a sub-mapping lacking a required key") {
    expect_one_error("sweep_field_adds_section.yaml", 6, 14, "cases[0].serving.speculation",
                     "missing key 'acceptance' (the probability that a draft token is accepted, e.g. 0.7); sweep axis");
}

TEST_CASE("scenario: a bad field-axis value is reported once, at the value, however many cases and points") {
    expect_one_error("sweep_field_bad_value.yaml", 12, 31, "sweep.training.global_batch[1]",
                     "must be at least 1, got 0");
}

TEST_CASE("scenario: a field axis to a list entry that does not exist") {
    expect_one_error("sweep_field_index_range.yaml", 12, 3, "sweep",
                     "cannot sweep 'topology.network.tiers[1].radix' in cases[0]: 'topology.network.tiers' has 1 entry");
}

TEST_CASE("scenario: a field axis inside a section the case does not have") {
    expect_one_error("sweep_field_no_section.yaml", 4, 5, "cases[0]",
                     "sweep axis 'training.global_batch' sets a key inside 'training', but this case has no 'training' section");
}

TEST_CASE("scenario: a field axis through a value that is not a mapping") {
    expect_one_error("sweep_field_not_mapping.yaml", 8, 3, "sweep",
                     "cannot sweep 'training.workload.name' in cases[0]: 'training.workload' is a scalar, not a mapping of keys");
}

TEST_CASE("scenario: problems inside a swept mapping are located inside it, and a point's problem at its value") {
    const std::string f = bad("sweep_field_value_location.yaml");
    const Result r = check({f});
    INFO(r.err);
    CHECK(r.code == 3);
    CHECK(has_diagnostic(r, f, 11, 7, "sweep.topology[0]", "the topology holds 8 accelerators, but the case has 8000 chips"));
    CHECK(has_diagnostic(r, f, 12, 66, "sweep.topology[1].link", "unknown key 'bandwith' (did you mean 'bandwidth'?)"));
    CHECK(last_line(r.err) == "2 errors");
}

TEST_CASE("scenario: a sweep that is not a mapping") {
    expect_one_error("sweep_not_mapping.yaml", 6, 3, "sweep",
                     "expected a mapping of axis key to a list of values or a range, got a list");
}

TEST_CASE("scenario: two sweep axes where one sets a key inside the other") {
    expect_one_error("sweep_overlap.yaml", 12, 3, "sweep",
                     "sweep axes 'training.plan' and 'training.plan.pp' overlap: 'training.plan.pp' sets a key inside the");
}

TEST_CASE("scenario: a sweep axis inside one override") {
    expect_one_error("sweep_override_subkey.yaml", 6, 3, "sweep",
                     "cannot sweep 'overrides.tdp.value': sweep the whole override, 'overrides.tdp', with short- or");
}

TEST_CASE("scenario: a range end that is not a number") {
    expect_one_error("sweep_range_bad_bound.yaml", 6, 17, "sweep.count.from",
                     "'eight' does not start with a number (expected e.g. '900 GB/s')");
}

TEST_CASE("scenario: a range of a bandwidth between chips without its direction") {
    expect_one_error("sweep_range_direction_missing.yaml", 6, 33, "sweep.overrides.scale_up_bandwidth",
                     "say the direction of this range's bandwidths: add 'direction: one-way' or 'direction: both-ways'");
}

TEST_CASE("scenario: 'direction' on a range of another figure") {
    expect_one_error("sweep_range_direction_not_bandwidth.yaml", 6, 67, "sweep.overrides.tdp.direction",
                     "'direction' applies to a range of a chip's link bandwidth (overrides.scale_up_bandwidth,");
}

TEST_CASE("scenario: a geometric range with a factor of 1") {
    expect_one_error("sweep_range_factor_one.yaml", 6, 36, "sweep.count.factor",
                     "'factor' must be a plain number above 1, got '1'");
}

TEST_CASE("scenario: an integer range whose rounded points collide") {
    expect_one_error("sweep_range_integer_collision.yaml", 6, 10, "sweep.count",
                     "points 1 and 2 of the range both round to 2 (a range from integers gives integers): use fewer");
}

TEST_CASE("scenario: a logarithmic range from 0") {
    expect_one_error("sweep_range_log_from_zero.yaml", 6, 25, "sweep.overrides.tdp.from",
                     "a geometric range ('scale: log') needs 'from' above 0, got 0 W");
}

TEST_CASE("scenario: a range with two units") {
    expect_one_error("sweep_range_mixed_units.yaml", 6, 49, "sweep.overrides.hbm_bandwidth.to",
                     "'from' is a data rate ('2 TB/s') but 'to' is a data size ('80 GB'): a range has one unit");
}

TEST_CASE("scenario: a range without step, steps or factor") {
    expect_one_error("sweep_range_no_step.yaml", 6, 10, "sweep.count",
                     "a range needs one of 'step' (linear, by a fixed step), 'steps' (that many points, both ends");
}

TEST_CASE("scenario: a mapping on an axis without from and to") {
    expect_one_error("sweep_range_not_range.yaml", 6, 18, "sweep.training.plan",
                     "a mapping on a sweep axis is a range {from, to, step | steps | factor}; to sweep mappings, write a");
}

TEST_CASE("scenario: 'scale' on a range by step") {
    expect_one_error("sweep_range_scale_with_step.yaml", 6, 44, "sweep.count.scale",
                     "'scale' applies to 'steps'; a range by 'step' is linear and one by 'factor' geometric");
}

TEST_CASE("scenario: a range with both 'step' and 'steps'") {
    expect_one_error("sweep_range_step_and_steps.yaml", 6, 44, "sweep.count",
                     "give one of 'step', 'steps' and 'factor', not step, steps");
}

TEST_CASE("scenario: a range with a step of 0") {
    expect_one_error("sweep_range_step_zero.yaml", 6, 34, "sweep.count.step",
                     "'step' must be above 0, got 0");
}

TEST_CASE("scenario: a range of 1 step") {
    expect_one_error("sweep_range_steps_one.yaml", 6, 35, "sweep.count.steps",
                     "must be at least 2, got 1");
}

TEST_CASE("scenario: a range whose 'to' is below its 'from'") {
    expect_one_error("sweep_range_to_below_from.yaml", 6, 25, "sweep.count.to",
                     "'to' (8) must be greater than 'from' (64)");
}

TEST_CASE("scenario: a range of more points than a sweep may have") {
    expect_one_error("sweep_range_too_many.yaml", 6, 10, "sweep.count",
                     "the range has 2000000 points; a sweep has at most 1000000 rows");
}

TEST_CASE("scenario: a range point its field refuses is reported at the range") {
    expect_one_error("sweep_range_value_rejected.yaml", 6, 10, "sweep.count[1]",
                     "expected an integer, got '8.5'");
}

TEST_CASE("scenario: a sweep axis key that names no case key, with a did-you-mean") {
    expect_one_error("sweep_unknown_case_key.yaml", 6, 3, "sweep",
                     "cannot sweep 'trainig.global_batch' (did you mean 'training'?): 'trainig' is not a case key; a");
}

TEST_CASE("scenario: a sweep axis key path to an unknown key, with the valid keys and a did-you-mean") {
    expect_one_error("sweep_unknown_field.yaml", 11, 3, "sweep",
                     "cannot sweep 'training.global_batc': unknown key 'global_batc' (did you mean 'global_batch'?);");
}

TEST_CASE("scenario: a zip group with an invalid name") {
    expect_one_error("sweep_zip_bad_name.yaml", 6, 3, "sweep",
                     "a zip group is named 'zip' or 'zip.NAME' (NAME of letters, digits, '_' and '-'), got 'zip.a/b'");
}

TEST_CASE("scenario: an axis both alone and in a zip group") {
    expect_one_error("sweep_zip_duplicate_axis.yaml", 7, 9, "sweep.zip.count",
                     "duplicate sweep axis 'count'");
}

TEST_CASE("scenario: two zip groups of the same name") {
    expect_one_error("sweep_zip_duplicate_group.yaml", 7, 3, "sweep.zip",
                     "duplicate zip group 'zip'");
}

TEST_CASE("scenario: the same point twice in a zip group") {
    expect_one_error("sweep_zip_duplicate_point.yaml", 7, 20, "sweep.zip.count[2]",
                     "point 'count=8|overrides.tdp=700 W' appears twice in this zip group: sweep points need distinct names");
}

TEST_CASE("scenario: a zip group inside a zip group") {
    expect_one_error("sweep_zip_nested.yaml", 8, 5, "sweep.zip",
                     "zip groups do not nest: write 'zip.inner' beside 'zip' in 'sweep'");
}

TEST_CASE("scenario: a zip group of one axis") {
    expect_one_error("sweep_zip_one_axis.yaml", 6, 8, "sweep.zip",
                     "a zip group is a mapping of two or more axes that advance together, e.g. {count: [8, 64],");
}

TEST_CASE("scenario: a zip group of unequal lengths names both") {
    expect_one_error("sweep_zip_unequal.yaml", 8, 5, "sweep.zip",
                     "the axes of a zip group advance together and need equal lengths: 'count' has 3 values, 'overrides.tdp' has 2");
}

// ---------------------------------------------------------------- reporting together

TEST_CASE("scenario: several errors in one file are reported together, in line order") {
    const std::string f = bad("several_errors.yaml");
    const Result r = check({f});
    INFO(r.err);
    CHECK(r.code == 3);
    const auto lines = lines_of(r.err);
    REQUIRE(lines.size() == 5);
    CHECK(lines[0].rfind(prefix(f, 5, 11, "cases[0].chip") + "unknown chip 'nvidia_h100_sxn'", 0) == 0);
    CHECK(lines[1] == prefix(f, 9, 12, "cases[1].count") + "must be at least 1, got 0");
    CHECK(lines[2].rfind(prefix(f, 14, 12, "cases[2].overrides.tdp") + "missing unit in '700'", 0) == 0);
    CHECK(lines[3] == prefix(f, 15, 11, "cases[3].name") + "duplicate case name 'a'");
    CHECK(lines[4] == "4 errors");
}

TEST_CASE("scenario: errors of several files are reported together") {
    const Result r = check({bad("count_zero.yaml"), bad("format_2.yaml")});
    INFO(r.err);
    CHECK(r.code == 3);
    CHECK(r.out.empty());
    CHECK(has_diagnostic(r, bad("count_zero.yaml"), 6, 12, "cases[0].count", "must be at least 1, got 0"));
    CHECK(has_diagnostic(r, bad("format_2.yaml"), 1, 9, "format", "unsupported format 2"));
    CHECK(last_line(r.err) == "2 errors");
}

// ---------------------------------------------------------------- usage and I/O

TEST_CASE("scenario: a file that does not exist is a usage error") {
    TempDir tmp;
    const Result r = check({(tmp.path() / "no-such-file.yaml").string()});
    CHECK(r.code == 2);
    CHECK(r.err.find("File does not exist") != std::string::npos);
}

TEST_CASE("scenario: a directory given as a scenario file is a usage error") {
    TempDir tmp;
    const Result r = check({tmp.path().string()});
    CHECK(r.code == 2);
}

TEST_CASE("scenario: a catalog directory that does not exist is an I/O error") {
    TempDir tmp;
    const fs::path scenario = tmp.path() / "ok.yaml";
    write_file(scenario, ok_scenario);
    const Result missing = check({scenario.string()}, "/nonexistent");
    INFO(missing.err);
    CHECK(missing.code == 4);
    CHECK(missing.err.find("catalog directory not found") != std::string::npos);

    const fs::path not_a_dir = tmp.path() / "catalog.txt";
    write_file(not_a_dir, "not a directory\n");
    const Result file = check({scenario.string()}, not_a_dir.string());
    CHECK(file.code == 4);
}

// ---------------------------------------------------------------- catalog files

namespace {

// A complete, valid chip file written over models/chips/nvidia_h100_sxm.yaml in a temporary
// copy of the catalog; each test corrupts one line of it.
constexpr std::string_view chip_template = R"(id: nvidia_h100_sxm
name: H100 SXM5
vendor: NVIDIA
year: 2022
status: shipping
sources:
  DS: "NVIDIA H100 Tensor Core GPU datasheet"
figures:
  bf16_dense:
    value: "989 TFLOPS"
    confidence: derived
    source: DS
    note: "1,979 TFLOPS with sparsity / 2"
  fp8_dense: null
  fp4_dense: null
  int8_dense: null
  hbm_capacity:
    value: "80 GiB"
    confidence: official
    source: DS
  hbm_bandwidth:
    value: "3.35 TB/s"
    confidence: official
    source: DS
  scale_up_bandwidth:
    value: "900 GB/s"
    direction: both-ways
    confidence: official
    source: DS
  scale_out_bandwidth: null
  host_link_bandwidth: null
  tdp:
    value: "700 W"
    confidence: official
    source: DS
  compute_units: null
  l2_cache: null
  vector_fp32: null
  price: null
  host_power: null
  host_price: null
  die_area: null
  compute_dies: null
  die_yield: null
performance:
  matmul_tile_m: null
  matmul_tile_n: null
  matmul_efficiency: null
  matmul_tile_overhead: null
  attention_efficiency: null
  memory_efficiency: null
  kernel_overhead: null
  attention_backward_efficiency: null
  fp8_block_matmul_efficiency: null
  fp8_block_matmul_tile_overhead: null
  latent_attention_efficiency: null
  flash_triton_attention_efficiency: null
  flash_triton_attention_backward_efficiency: null
  fp8_matmul_efficiency: null
  fp8_operand_copies: null
  matmul_wave_slices: null
  causal_attention_extra_keys: null
  attention_query_extra_keys: null
)";

struct CatalogCheck {
    Result result;
    std::string chip_file;  ///< the corrupted file, as diagnostics name it
};

// Copies models/ to a temporary directory, writes chip_template with `from` replaced by `to`
// over the H100 chip file, and checks a small valid scenario against that catalog.
CatalogCheck check_with_chip(std::string_view from, std::string_view to) {
    TempDir tmp;
    const fs::path models = tmp.path() / "models";
    fs::copy(models_dir, models, fs::copy_options::recursive);
    std::string text(chip_template);
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    const fs::path chip = models / "chips" / "nvidia_h100_sxm.yaml";
    write_file(chip, text);
    const fs::path scenario = tmp.path() / "ok.yaml";
    write_file(scenario, ok_scenario);
    return CatalogCheck{check({scenario.string()}, models.string()), chip.string()};
}

void expect_catalog_error(std::string_view from, std::string_view to, int line, int column,
                          const std::string& key_path, std::string_view fragment) {
    const auto c = check_with_chip(from, to);
    INFO("corruption: '", from, "' -> '", to, "'\nstderr:\n", c.result.err);
    CHECK(c.result.code == 3);
    CHECK(has_diagnostic(c.result, c.chip_file, line, column, key_path, fragment));
    CHECK(last_line(c.result.err) == "1 error");
}

}  // namespace

TEST_CASE("scenario: the catalog test template itself is valid") {
    const auto c = check_with_chip("status: shipping", "status: shipping");
    INFO(c.result.err);
    CHECK(c.result.code == 0);
    CHECK(c.result.err.empty());
}

TEST_CASE("scenario: catalog chip file with an unknown key") {
    expect_catalog_error("sources:\n", "notess: typo\nsources:\n", 6, 1, "",
                         "unknown key 'notess' (did you mean 'notes'?); valid keys: id, name, vendor");
}

TEST_CASE("scenario: catalog chip file with a missing figure") {
    expect_catalog_error("  fp4_dense: null\n", "", 9, 3, "figures",
                         "missing figure 'fp4_dense' (write 'fp4_dense: null' when it is not public)");
}

TEST_CASE("scenario: a performance overhead may be zero, never negative; a published figure must be positive") {
    const std::string zero = "  matmul_tile_overhead:\n    value: \"0 us\"\n    confidence: estimate\n    source: DS\n"
                             "    note: \"no measurable per-tile cost\"\n";
    const auto ok = check_with_chip("  matmul_tile_overhead: null\n", zero);
    INFO(ok.result.err);
    CHECK(ok.result.code == 0);
    std::string negative = zero;
    negative.replace(negative.find("0 us"), 4, "-1 us");
    expect_catalog_error("  matmul_tile_overhead: null\n", negative, 50, 12, "performance.matmul_tile_overhead.value",
                         "must not be negative, got '-1 us'");
    expect_catalog_error("    value: \"700 W\"\n", "    value: \"0 W\"\n", 33, 12, "figures.tdp.value",
                         "must be positive, got '0 W'");
}

TEST_CASE("scenario: catalog figure without a source") {
    expect_catalog_error("    value: \"3.35 TB/s\"\n    confidence: official\n    source: DS\n",
                         "    value: \"3.35 TB/s\"\n    confidence: official\n", 22, 5, "figures.hbm_bandwidth",
                         "missing key 'source' (a key of this file's 'sources')");
}

TEST_CASE("scenario: catalog figure whose source is not in 'sources'") {
    expect_catalog_error("    value: \"3.35 TB/s\"\n    confidence: official\n    source: DS\n",
                         "    value: \"3.35 TB/s\"\n    confidence: official\n    source: DX\n", 24, 13,
                         "figures.hbm_bandwidth.source",
                         "unknown source 'DX' (did you mean 'DS'?); this file's sources: DS");
}

TEST_CASE("scenario: catalog estimate without a note") {
    expect_catalog_error("    value: \"3.35 TB/s\"\n    confidence: official\n",
                         "    value: \"3.35 TB/s\"\n    confidence: estimate\n", 22, 5, "figures.hbm_bandwidth",
                         "a figure marked 'estimate' needs a 'note' with its reasoning or arithmetic");
}

TEST_CASE("scenario: catalog scale_up_bandwidth without one-way/both-ways") {
    expect_catalog_error("    direction: both-ways\n", "", 26, 5, "figures.scale_up_bandwidth",
                         "missing key 'direction': say whether the value is one-way (per direction) or both-ways");
}

TEST_CASE("scenario: catalog scale_up_bandwidth with an invalid direction word") {
    expect_catalog_error("direction: both-ways", "direction: bothways", 27, 16, "figures.scale_up_bandwidth.direction",
                         "'bothways' is not valid (did you mean 'both-ways'?); valid: one-way, both-ways");
}

TEST_CASE("scenario: catalog figure value without a unit") {
    expect_catalog_error("value: \"700 W\"", "value: \"700\"", 33, 12, "figures.tdp.value", "missing unit in '700'");
}

TEST_CASE("scenario: catalog file with a YAML syntax error") {
    const auto c = check_with_chip("status: shipping", "status: [shipping");
    INFO(c.result.err);
    CHECK(c.result.code == 3);
    // yaml-cpp reports the place where it found the flow sequence unterminated: the next line's ':'.
    CHECK(has_diagnostic(c.result, c.chip_file, 6, 8, "", "YAML syntax error: end of sequence flow not found"));
}

// ---------------------------------------------------------------- regressions (loader bugs found by this suite)

TEST_CASE("scenario: an override in mapping form with a direction is accepted") {
    const Result r = check({source_dir + "/tests/data/good/override_mapping_form.yaml"});
    INFO(r.err);
    CHECK(r.code == 0);
}

TEST_CASE("scenario: 'direction' on a figure that is not a bandwidth between chips") {
    expect_one_error("override_tdp_direction.yaml", 8, 40, "cases[0].overrides.tdp.direction",
                     "'direction' applies only to a chip's link bandwidths");
}

TEST_CASE("scenario: a swept case's own error keeps its location") {
    expect_one_error("sweep_case_error_location.yaml", 8, 12, "cases[0].count", "must be at least 1, got 0");
}

TEST_CASE("scenario: a bad sweep value is reported once however many cases it applies to") {
    expect_one_error("sweep_bad_value_two_cases.yaml", 4, 14, "sweep.count[1]", "expected an integer, got 'x'");
}

TEST_CASE("scenario: sweep of an unknown figure is reported at the axis") {
    expect_one_error("sweep_unknown_figure.yaml", 4, 3, "sweep",
                     "cannot sweep 'overrides.hbm_bandwith': unknown figure 'hbm_bandwith' (did you mean "
                     "'hbm_bandwidth'?)");
}

TEST_CASE("scenario: sweep of a sub-key of a plain field is reported at the axis") {
    expect_one_error("sweep_count_subkey.yaml", 4, 3, "sweep", "cannot sweep 'count.x'");
}

TEST_CASE("scenario: a second YAML document is an error") {
    expect_one_error("second_document.yaml", 7, 1, "", "a second YAML document ('---')");
}

TEST_CASE("scenario: a quote left open runs into the next lines; the message says so") {
    const Result r = check_bad("unclosed_quote_value.yaml");
    INFO(r.err);
    CHECK(r.code == 3);
    CHECK(r.err.find("is a closing quote missing?") != std::string::npos);
}

TEST_CASE("scenario: an empty scenario name") {
    expect_one_error("empty_scenario_name.yaml", 2, 11, "scenario", "the scenario name must not be empty");
}

TEST_CASE("scenario: two files with the same scenario name: located at the second name") {
    const std::string f = bad("count_zero.yaml");
    const std::string g = source_dir + "/tests/data/good/override_mapping_form.yaml";
    const Result r = check({g, g});
    INFO(r.err);
    CHECK(r.code == 3);
    CHECK(has_diagnostic(r, g, 2, 11, "scenario", "two input files use the scenario name"));
}

// ---------------------------------------------------------------- review fixes

TEST_CASE("scenario: an unknown top-level key does not hide the other problems") {
    const Result r = check_bad("top_key_and_more.yaml");
    INFO(r.err);
    CHECK(r.code == 3);
    CHECK(has_diagnostic(r, bad("top_key_and_more.yaml"), 1, 9, "format", "unsupported format 2"));
    CHECK(has_diagnostic(r, bad("top_key_and_more.yaml"), 3, 1, "", "unknown key 'descripton' (did you mean 'description'?)"));
    CHECK(has_diagnostic(r, bad("top_key_and_more.yaml"), 7, 12, "cases[0].count", "must be at least 1"));
    CHECK(last_line(r.err) == "3 errors");
}

TEST_CASE("scenario: the same value twice on a sweep axis") {
    expect_one_error("sweep_duplicate_value.yaml", 4, 14, "sweep.count[1]", "value '8' appears twice on this axis");
}

TEST_CASE("scenario: a case's description must be text") {
    expect_one_error("case_description_list.yaml", 6, 18, "cases[0].description", "expected a string, got a list");
}

TEST_CASE("scenario: economics section: each problem named where it is") {
    // sim/scenario/economics_decoder.cpp through the loader.
    expect_one_error("economics_price_wrong_dimension.yaml", 7, 26, "cases[0].economics.electricity_price",
                     "'0.08 USD' is an amount of money, but a price of energy is needed, written like '0.08 USD/kWh', '80 USD/MWh'");
    expect_one_error("economics_price_missing.yaml", 7, 7, "cases[0].economics",
                     "missing key 'electricity_price' (the price of electricity, e.g. \"0.08 USD/kWh\")");
    expect_one_error("economics_price_negative.yaml", 7, 26, "cases[0].economics.electricity_price",
                     "must be positive, got '-0.08 USD/kWh'");
    expect_one_error("economics_pue_below_one.yaml", 8, 12, "cases[0].economics.pue",
                     "expected a power usage effectiveness (facility power / IT power), a plain number from 1 to 3 such as 1.3, "
                     "got '0.9'");
    expect_one_error("economics_pue_percent.yaml", 8, 12, "cases[0].economics.pue",
                     "expected a power usage effectiveness (facility power / IT power), a plain number from 1 to 3 such as 1.3, "
                     "got '130%'");
    expect_one_error("economics_amortization_no_unit.yaml", 9, 21, "cases[0].economics.amortization",
                     "missing unit in '4': every dimensioned value carries its unit; a time is written like '1.2 us', '3 ms', "
                     "'10 min'");
    expect_one_error("economics_amortization_too_long.yaml", 9, 21, "cases[0].economics.amortization",
                     "an amortisation period of more than 20 years is not plausible, got '40 years'");
    expect_one_error("economics_unknown_key.yaml", 9, 7, "cases[0].economics",
                     "unknown key 'amortisation' (did you mean 'amortization'?); valid keys: electricity_price, pue, "
                     "amortization, omit_unknown_parts");
    expect_one_error("economics_omit_not_boolean.yaml", 10, 27, "cases[0].economics.omit_unknown_parts",
                     "expected true or false, got 'yes'");
    expect_one_error("economics_not_mapping.yaml", 6, 16, "cases[0].economics", "expected a mapping of keys, got a scalar");
}

TEST_CASE("scenario: economics silicon section: the process is a catalog id") {
    expect_one_error("economics_unknown_process.yaml", 10, 26, "cases[0].economics.silicon.process",
                     "unknown process 'smic_n2'; valid: smic_n_plus_2, tsmc_n4, tsmc_n7 (models/processes/)");
}

TEST_CASE("scenario: economics section: every problem at once") {
    const Result r = check_bad("economics_many_errors.yaml");
    const std::string file = bad("economics_many_errors.yaml");
    CHECK(r.code == 3);
    CHECK(has_diagnostic(r, file, 7, 26, "cases[0].economics.electricity_price", "unknown unit 'cents/kWh'"));
    CHECK(has_diagnostic(r, file, 8, 12, "cases[0].economics.pue",
                         "expected a power usage effectiveness (facility power / IT power), a plain number from 1 to 3 such as 1.3, "
                         "got a list"));
    CHECK(has_diagnostic(r, file, 9, 21, "cases[0].economics.amortization", "must be positive, got '0 years'"));
    CHECK(has_diagnostic(r, file, 10, 27, "cases[0].economics.omit_unknown_parts", "expected true or false, got '1'"));
    CHECK(last_line(r.err) == "4 errors");
}

TEST_CASE("scenario: a comm section's problems are all reported, each at its key") {
    const std::string f = bad("comm_many_errors.yaml");
    const Result r = check({f});
    INFO(r.err);
    CHECK(r.code == 3);
    const std::vector<std::string> expected{
        prefix(f, 7, 19, "cases[0].comm.collective") +
            "unknown collective 'allreduce' (did you mean 'all_reduce'?); valid: all_reduce, reduce_scatter, all_gather, all_to_all, "
            "broadcast, send_recv",
        prefix(f, 8, 19, "cases[0].comm.group_size") + "must be at least 1, got 0",
        prefix(f, 9, 15, "cases[0].comm.stride") + "expected an integer, got 'two'",
        prefix(f, 10, 52, "cases[0].comm.sizes.factor") + "must be above 1 (each size is factor times the previous)",
        prefix(f, 15, 18, "cases[1].comm.algorithm") +
            "algorithm 'ring' does not run all_to_all; valid for it: direct, one_sided, hierarchical, dimension_wise",
        prefix(f, 16, 34, "cases[1].comm.sizes.to") + "is smaller than 'from': the sizes run from 'from' up to 'to'",
        prefix(f, 19, 48, "cases[2].comm.group_size") + "group_size 3 does not divide the 8 accelerators",
        prefix(f, 23, 47, "cases[3].comm.algorithm") +
            "unknown algorithm 'rings' (did you mean 'ring'?); valid for all_reduce: ring, double_binary_tree, "
            "recursive_halving_doubling, hierarchical, dimension_wise, in_network (clustersim list algorithms), or leave it out "
            "for the tuner's choice",
        prefix(f, 23, 61, "cases[3].comm.sizes") + "missing key 'to' (a message size such as \"8 GiB\")",
        prefix(f, 27, 11, "cases[4].comm") +
            "comm runs its collectives on the network: the case needs a topology holding its 8 chips (a system with one, or a "
            "'topology' section)",
        prefix(f, 30, 59, "cases[5].comm.stride") +
            "stride 3 does not divide the 128 groups (the groups of one period interleave; valid strides divide accelerators / "
            "group_size)",
    };
    for (const auto& e : expected) CHECK_MESSAGE(r.err.find(e) != std::string::npos, e);
    CHECK(r.err.find("cases[0].comm.sizes.from: unknown unit 'KB/s'") != std::string::npos);
    CHECK(has_diagnostic(r, f, 33, 78, "cases[6].comm.sizes.factor", "gives more than 10000 sizes from 'from' to 'to': raise the factor"));
    CHECK(last_line(r.err) == "13 errors");
}

TEST_CASE("scenario: crossover entries name cases with the section their metric needs") {
    expect_one_error("crossover_unknown_case.yaml", 4, 33, "crossover[0].candidate", "'smal' is not a case (did you mean 'small'?); cases: big, small");
    expect_one_error("crossover_no_section.yaml", 4, 33, "crossover[0].candidate",
                     "case 'small' has no 'training' section: a training crossover compares training throughput");
    expect_one_error("crossover_bad_metric.yaml", 4, 48, "crossover[0].metric",
                     "unknown metric 'tokens'; valid: training (training tokens/s), serving (serving output tokens/s)");
    expect_one_error("crossover_same_case.yaml", 4, 5, "crossover[0]", "the reference and the candidate are the same case 'big'");
    expect_one_error("crossover_not_list.yaml", 3, 12, "crossover", "expected a non-empty list of {reference, candidate, metric}, got a mapping");
}

TEST_CASE("scenario: a case's own sweep adds to the file's, and its baseline needs the same points") {
    expect_one_error("sweep_case_repeats_file_axis.yaml", 9, 7, "cases[0].sweep.count",
                     "'count' is also an axis of the file's sweep: sweep it in one place");
    expect_one_error("baseline_point_missing.yaml", 8, 5, "cases[1].baseline",
                     "baseline 'a' has no row 'a|count=32': a case and its baseline need the same sweep points, or a baseline "
                     "with one row (its own sweep gives 'a' 2 rows)");
}

TEST_CASE("scenario: an unknown command is named, with a suggestion") {
    std::ostringstream out;
    std::ostringstream err;
    CHECK(run_cli({"chek", bad("count_zero.yaml")}, out, err) == 2);
    CHECK(err.str() == "clustersim: unknown command 'chek' (did you mean 'check'?); commands: run, merge, check, list, show, "
                       "calibrate, comm, validate, explain (see clustersim --help)\n");
}

TEST_CASE("scenario: --catalog may follow the command") {
    std::ostringstream out;
    std::ostringstream err;
    const std::string good = source_dir + "/tests/data/good/override_mapping_form.yaml";
    CHECK(run_cli({"check", "--catalog", models_dir, good}, out, err) == 0);
    CHECK(out.str() == good + ": ok (1 case)\n");
}

TEST_CASE("scenario: catalog year out of range") {
    expect_catalog_error("year: 2022", "year: 20220", 4, 7, "year", "year 20220 is not plausible (1990 to 2100)");
}

TEST_CASE("scenario: catalog figure with a null value takes no source") {
    expect_catalog_error("  fp8_dense: null\n", "  fp8_dense: {value: null, source: DS}\n", 14, 36, "figures.fp8_dense.source",
                         "a figure whose value is null takes no 'source'");
}

// ---------------------------------------------------------------- topologies

TEST_CASE("scenario: topology with an odd fat-tree radix") {
    expect_one_error("topology_odd_radix.yaml", 12, 33, "cases[0].topology.network.tiers[0].radix",
                     "radix 63 is odd: a 1:1 tier splits its ports evenly between down and up");
}

TEST_CASE("scenario: topology with oversubscription below 1") {
    expect_one_error("topology_oversubscription.yaml", 12, 55, "cases[0].topology.network.tiers[0].oversubscription",
                     "must be at least 1, got 0.5");
}

TEST_CASE("scenario: topology with a radix that does not split at its oversubscription") {
    expect_one_error("topology_radix_split.yaml", 12, 55, "cases[0].topology.network.tiers[0].oversubscription",
                     "radix 62 does not split 3:1 into whole down and up ports");
}

TEST_CASE("scenario: topology with zero bandwidth") {
    expect_one_error("topology_zero_bandwidth.yaml", 13, 61, "cases[0].topology.network.tiers[1].down_link.bandwidth",
                     "must be positive, got '0 Gb/s'");
}

TEST_CASE("scenario: topology too small for the chip count") {
    expect_one_error("topology_too_small.yaml", 8, 7, "cases[0].topology",
                     "the topology holds 1024 accelerators, but the case has 2048 chips: too small");
}

TEST_CASE("scenario: unknown topology builder") {
    expect_one_error("topology_unknown_builder.yaml", 8, 16, "cases[0].topology.builder",
                     "unknown builder 'fattree' (did you mean 'fat_tree'?); valid: single_switch, ring");
}

TEST_CASE("scenario: topology levels whose group sizes do not divide: every one reported") {
    const Result r = check_bad("topology_groups_do_not_divide.yaml");
    INFO(r.err);
    CHECK(r.code == 3);
    CHECK(has_diagnostic(r, bad("topology_groups_do_not_divide.yaml"), 16, 23, "cases[0].topology.levels[1].group_size",
                         "36 is not a multiple of the level below's group size (8)"));
    CHECK(has_diagnostic(r, bad("topology_groups_do_not_divide.yaml"), 19, 23, "cases[0].topology.levels[2].group_size",
                         "96 is not a multiple of the level below's group size (36)"));
    CHECK(last_line(r.err) == "2 errors");
}

TEST_CASE("scenario: a valid case topology") {
    const Result r = check({source_dir + "/tests/data/good/topology_two_domains.yaml"});
    INFO(r.err);
    CHECK(r.code == 0);
}

// ---------------------------------------------------------------- hostile inputs

TEST_CASE("scenario: binary garbage is refused at its first control character") {
    TempDir tmp;
    const fs::path file = tmp.path() / "garbage.yaml";
    std::string bytes = "format: 1\nscen";
    for (int i = 0; i < 256; ++i) bytes += static_cast<char>(1 + (i * 37) % 255);
    write_file(file, bytes);
    const Result r = check({file.string()});
    INFO(r.err);
    CHECK(r.code == 3);
    CHECK(has_diagnostic(r, file.string(), 2, 5, "", "control character U+0001 is not allowed in YAML"));
}

TEST_CASE("scenario: a deeply nested document is refused, not a stack overflow") {
    TempDir tmp;
    const fs::path file = tmp.path() / "deep.yaml";
    std::string text = "format: 1\nscenario: deep\ncases:\n";
    for (int i = 1; i < 3000; ++i) text += std::string(static_cast<std::size_t>(i), ' ') + "a:\n";
    write_file(file, text);
    const Result r = check({file.string()});
    INFO(r.err);
    CHECK(r.code == 3);
    CHECK(r.err.find("YAML nests deeper than") != std::string::npos);
}

TEST_CASE("scenario: a very large document with a mistake at its end") {
    TempDir tmp;
    const fs::path file = tmp.path() / "large.yaml";
    std::string text = "format: 1\nscenario: large\ncases:\n";
    for (int i = 0; i < 20000; ++i) text += "  - {name: c" + std::to_string(i) + ", chip: nvidia_h100_sxm, count: 8}\n";
    text += "  - {name: last, chip: nvidia_h100_sxm, count: 0}\n";
    write_file(file, text);
    const Result r = check({file.string()});
    INFO(r.err.substr(0, 500));
    CHECK(r.code == 3);
    CHECK(has_diagnostic(r, file.string(), 20004, 48, "cases[20000].count", "must be at least 1, got 0"));
    CHECK(last_line(r.err) == "1 error");
}

TEST_CASE("scenario: a value too large for a double") {
    TempDir tmp;
    const fs::path file = tmp.path() / "huge.yaml";
    write_file(file, "format: 1\nscenario: huge\ncases:\n  - {name: a, chip: nvidia_h100_sxm, count: 8, overrides: {tdp: \"1e400 W\"}}\n");
    const Result r = check({file.string()});
    INFO(r.err);
    CHECK(r.code == 3);
    CHECK(r.err.find("cases[0].overrides.tdp: number out of range in '1e400 W'") != std::string::npos);
}

// ---------------------------------------------------------------- network parts (models/network/)

namespace {

// Line and column (1-based) where `needle` starts in `text` (the first occurrence).
std::pair<int, int> position_of(const std::string& text, std::string_view needle) {
    const auto at = text.find(needle);
    REQUIRE(at != std::string::npos);
    const auto line_start = text.rfind('\n', at);
    const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
    const int column = static_cast<int>(at - (line_start == std::string::npos ? 0 : line_start + 1)) + 1;
    return {line, column};
}

struct EditedCatalog {
    Result result;
    std::string file;  ///< the edited file, as diagnostics name it
    std::string text;  ///< its new content
};

// Copies models/ to a temporary directory, replaces `from` by `to` in models/`relative`, and checks
// a small valid scenario against that catalog.
EditedCatalog check_with_edit(const std::string& relative, std::string_view from, std::string_view to) {
    TempDir tmp;
    const fs::path models = tmp.path() / "models";
    fs::copy(models_dir, models, fs::copy_options::recursive);
    const fs::path file = models / relative;
    std::ifstream in(file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto at = text.find(from);
    REQUIRE_MESSAGE(at != std::string::npos, from);
    text.replace(at, from.size(), to);
    write_file(file, text);
    const fs::path scenario = tmp.path() / "ok.yaml";
    write_file(scenario, ok_scenario);
    return EditedCatalog{check({scenario.string()}, models.string()), file.string(), text};
}

// One edit, one diagnostic at the first occurrence of `at` in the edited file.
// `offset` moves the expected column that many characters past the start of `at`.
void expect_edit_error(const std::string& relative, std::string_view from, std::string_view to, std::string_view at,
                       const std::string& key_path, std::string_view fragment, int offset = 0) {
    const auto c = check_with_edit(relative, from, to);
    auto [line, column] = position_of(c.text, at);
    column += offset;
    INFO("edit of ", relative, ": '", from, "' -> '", to, "'\nstderr:\n", c.result.err);
    CHECK(c.result.code == 3);
    CHECK(has_diagnostic(c.result, c.file, line, column, key_path, fragment));
    CHECK(last_line(c.result.err) == "1 error");
}

}  // namespace

TEST_CASE("scenario: network parts load with their figures, sources and the systems' parts") {
    const auto cat = clustersim::scenario::load_catalog(models_dir);
    REQUIRE(cat.switches.count("nvidia_qm9700") == 1);
    const auto& qm = cat.switches.at("nvidia_qm9700");
    CHECK(*qm.ports.value == 64);
    CHECK(qm.port_bandwidth.value->si() == 50e9);  // 400 Gb/s
    CHECK(qm.power.value->si() == 747.0);
    CHECK(qm.power.provenance.confidence == clustersim::catalog::Confidence::official);
    CHECK(qm.power.provenance.source_id == "CW-HW");
    CHECK(qm.price.value->si() == 13500.0);
    CHECK(qm.price.provenance.confidence == clustersim::catalog::Confidence::estimate);
    const auto& lpo = cat.transceivers.at("lpo_800g_osfp");
    CHECK(lpo.price.value->si() == 800.0);
    CHECK(lpo.price.provenance.confidence == clustersim::catalog::Confidence::estimate);
    CHECK(*cat.transceivers.at("nvidia_mms4x00_ns400").medium.value == "single-mode fiber");
    CHECK(cat.switches.at("huawei_ub_hrs").power.provenance.confidence == clustersim::catalog::Confidence::estimate);
    CHECK_FALSE(cat.switches.at("huawei_ub_hrs").ports.known());  // the port width is not public
    // gb200_nvl72's topology names its parts; a tier it leaves out has none.
    const auto& parts = cat.systems.at("gb200_nvl72").topology->parts;
    CHECK(parts.switches.at("ib_leaf")->id == "nvidia_qm9700");
    CHECK(parts.transceiver->id == "nvidia_mms4x00_ns400");
    CHECK(cat.systems.at("meta_h100_roce_24k").topology->parts.switches.count("rtsw") == 0);
}

TEST_CASE("scenario: a topology part that is not in the catalog, with a suggestion") {
    expect_edit_error("systems/gb200_nvl72.yaml", "ib_leaf: nvidia_qm9700", "ib_leaf: nvidia_qm9070", "nvidia_qm9070",
                      "topology.parts.ib_leaf",
                      "unknown switch 'nvidia_qm9070' (did you mean 'nvidia_qm9700'?); valid switch ids: ");
}

TEST_CASE("scenario: a transceiver named for a switch tier") {
    expect_edit_error("systems/gb200_nvl72.yaml", "ib_spine: nvidia_qm9700", "ib_spine: nvidia_mms4x00_ns400",
                      "nvidia_mms4x00_ns400\n    transceiver", "topology.parts.ib_spine",
                      "'nvidia_mms4x00_ns400' is a transceiver, not a switch; valid switch ids: ");
}

TEST_CASE("scenario: a switch named as the transceiver") {
    expect_edit_error("systems/gb200_nvl72.yaml", "transceiver: nvidia_mms4x00_ns400", "transceiver: nvidia_qm9700",
                      "transceiver: nvidia_qm9700", "topology.parts.transceiver",
                      "'nvidia_qm9700' is a switch, not a transceiver; valid transceiver ids: ", 13);
}

TEST_CASE("scenario: a parts key that is not a switch tier of the topology") {
    expect_edit_error("systems/gb200_nvl72.yaml", "ib_leaf: nvidia_qm9700", "ib_lef: nvidia_qm9700", "ib_lef",
                      "topology.parts",
                      "unknown key 'ib_lef' (did you mean 'ib_leaf'?); valid keys: nvswitch, ib_leaf, ib_spine, transceiver");
}

TEST_CASE("scenario: a network part figure without a source") {
    expect_edit_error("network/nvidia_qm9700.yaml", "    confidence: official\n    source: CW-HW\n",
                      "    confidence: official\n", "value: \"747 W\"", "figures.power",
                      "missing key 'source' (a key of this file's 'sources')");
}

TEST_CASE("scenario: a network part with an unknown kind, figure or medium") {
    expect_edit_error("network/nvidia_qm9700.yaml", "kind: switch", "kind: swich", "swich", "kind",
                      "'swich' is not valid (did you mean 'switch'?); valid: switch, transceiver");
    expect_edit_error("network/nvidia_mma4z00_ns.yaml", "  price: null\n", "", "  bandwidth:", "figures",
                      "missing figure 'price' (write 'price: null' when it is not public)", 2);
    expect_edit_error("network/nvidia_mms4x00_ns400.yaml", "value: single-mode fiber", "value: singlemode fiber",
                      "singlemode fiber", "figures.medium.value",
                      "'singlemode fiber' is not valid (did you mean 'single-mode fiber'?); valid: single-mode fiber, "
                      "multi-mode fiber");
    expect_edit_error("network/lpo_800g_osfp.yaml", "value: \"800 USD\"", "value: \"$800\"", "\"$800\"",
                      "figures.price.value", "'$800': write money as a number and 'USD', e.g. '25000 USD'");
    expect_edit_error("network/lpo_800g_osfp.yaml", "value: \"800 USD\"", "value: \"800 W\"", "\"800 W\"",
                      "figures.price.value", "'800 W' is a power, but an amount of money is needed, written like '25000 USD'");
}

TEST_CASE("scenario: a case topology may name parts; an unknown one is located in the scenario") {
    TempDir tmp;
    const fs::path file = tmp.path() / "parts.yaml";
    const std::string text = R"(format: 1
scenario: parts
cases:
  - name: a
    chip: nvidia_h100_sxm
    count: 8
    topology:
      builder: single_switch
      accelerators: 8
      radix: 8
      link: {bandwidth: "400 Gb/s", medium: optical}
      parts:
        switch: nvidia_qm9700
        transceiver: nvidia_mms4x00_ns400
)";
    write_file(file, text);
    const Result ok = check({file.string()});
    INFO(ok.err);
    CHECK(ok.code == 0);
    std::string bad_text = text;
    bad_text.replace(bad_text.find("switch: nvidia_qm9700"), 21, "switch: nvidia_sn5060");
    write_file(file, bad_text);
    const Result bad = check({file.string()});
    const auto [line, column] = position_of(bad_text, "nvidia_sn5060");
    INFO(bad.err);
    CHECK(bad.code == 3);
    CHECK(has_diagnostic(bad, file.string(), line, column, "cases[0].topology.parts.switch",
                         "unknown switch 'nvidia_sn5060' (did you mean 'nvidia_sn5600'?)"));
}

TEST_CASE("scenario: training and measured sections: each problem named where it is") {
    expect_one_error("training_unknown_workload.yaml", 7, 17, "cases[0].training.workload",
                     "unknown workload 'llama3_80b' (did you mean 'llama3_70b'?)");
    expect_one_error("training_plan_not_dividing.yaml", 9, 13, "cases[0].training.plan",
                     "tp x pp x cp = 3 x 1 x 1 = 3 does not divide the case's 8 chips");
    expect_one_error("training_dp_disagrees.yaml", 9, 25, "cases[0].training.plan.dp",
                     "dp 8 disagrees with the chips: 8 / (tp x pp x cp = 2) = 4 (dp may be left out)");
    expect_one_error("training_measured_alone.yaml", 7, 7, "cases[0].measured",
                     "a training measurement belongs to a training job: add the 'training' section it was measured on");
    expect_one_error("training_mfu_without_peak.yaml", 10, 7, "cases[0].measured",
                     "missing key 'peak': the per-chip peak the source divides by for its MFU");
    expect_one_error("training_no_network.yaml", 8, 7, "cases[0].training",
                     "the case needs a topology holding its 8 chips");
    const std::string f = bad("training_algorithms.yaml");
    const Result r = check({f});
    INFO(r.err);
    CHECK(r.code == 3);
    CHECK(has_diagnostic(r, f, 10, 26, "cases[0].training.execution.algorithms.dp",
                         "unknown algorithm 'rings' (did you mean 'ring'?); valid for dp: ring, double_binary_tree, "
                         "recursive_halving_doubling, direct, hierarchical, dimension_wise, in_network (clustersim list algorithms)"));
    CHECK(has_diagnostic(r, f, 10, 37, "cases[0].training.execution.algorithms.ep",
                         "algorithm 'ring' does not run the ep collectives; valid for ep: direct, one_sided, hierarchical, "
                         "dimension_wise"));
    CHECK(has_diagnostic(r, f, 10, 43, "cases[0].training.execution.algorithms", "unknown key 'sp' (did you mean 'tp'?)"));
    CHECK(last_line(r.err) == "3 errors");
}

TEST_CASE("scenario: serving section: each problem named where it is") {
    expect_one_error("serving_unknown_workload.yaml", 7, 17, "cases[0].serving.workload",
                     "unknown workload 'deepseek_v4' (did you mean 'deepseek_v3'?); valid: ");
    // The misspelt key is named once, with its suggestion; the missing 'prompt_tokens' is not also reported.
    expect_one_error("serving_unknown_key.yaml", 8, 7, "cases[0].serving",
                     "unknown key 'prompt_token' (did you mean 'prompt_tokens'?); valid keys: workload, weights, kv_cache, "
                     "attention, prompt_tokens, output_tokens, tpot_limit, ttft_limit, speculation, prefill, decode, execution");
    expect_one_error("serving_bad_weights.yaml", 8, 16, "cases[0].serving.weights",
                     "'fp4' is not valid (did you mean 'fp8'?); valid: bf16, fp8, int8");
    expect_one_error("serving_tpot_no_unit.yaml", 10, 19, "cases[0].serving.tpot_limit",
                     "missing unit in '50': every dimensioned value carries its unit; a time is written like '1.2 us'");
    expect_one_error("serving_tpot_wrong_dimension.yaml", 10, 19, "cases[0].serving.tpot_limit",
                     "'50 GB' is a data size, but a time is needed");
    expect_one_error("serving_prompt_missing.yaml", 7, 7, "cases[0].serving", "missing key 'prompt_tokens'");
    expect_one_error("serving_speculation_no_acceptance.yaml", 11, 9, "cases[0].serving.speculation",
                     "missing key 'acceptance' (the probability that a draft token is accepted, e.g. 0.7)");
    expect_one_error("serving_step_too_large.yaml", 10, 35, "cases[0].serving.prefill.batch",
                     "batch 4096 x 1000000 tokens per sequence exceeds 2147483648 tokens per rank in one step");
    // A misspelt required key gets its did-you-mean only, not also "missing key".
    expect_one_error("serving_acceptance_misspelt.yaml", 10, 38, "cases[0].serving.speculation",
                     "unknown key 'aceptance' (did you mean 'acceptance'?)");
    expect_one_error("serving_acceptance_out_of_range.yaml", 10, 50, "cases[0].serving.speculation.acceptance",
                     "a fraction must be above 0 and at most 1, got 1.5");
    expect_one_error("serving_imbalance_below_one.yaml", 11, 27, "cases[0].serving.execution.expert_imbalance",
                     "expected the most loaded expert rank's tokens over the mean, a number from 1 (balanced) to 1000, got '0.8'");
    // Checked once the case's chips are known (check_serving_instances), at the instance's 'chips'.
    expect_one_error("serving_instance_too_large.yaml", 11, 23, "cases[0].serving.decode.chips",
                     "the decode instance needs 512 chips, but the case has 384");
    expect_one_error("serving_measured_alone.yaml", 7, 7, "cases[0].measured",
                     "a serving measurement belongs to a serving job: add the 'serving' section it was measured on");
    expect_one_error("serving_no_network.yaml", 8, 7, "cases[0].serving",
                     "serving runs its collectives on the network: the case needs a topology holding its 8 chips "
                     "(a system with one, or a 'topology' section)");

    // Every problem of a file at once, in line order.
    const std::string f = bad("serving_many_errors.yaml");
    const Result r = check({f});
    INFO(r.err);
    CHECK(r.code == 3);
    CHECK(r.out.empty());
    const auto lines = lines_of(r.err);
    const std::vector<std::string> expected{
        prefix(f, 8, 17, "cases[0].serving.kv_cache") + "'fp16' is not valid (did you mean 'bf16'?); valid: bf16, fp8, int8",
        prefix(f, 9, 22, "cases[0].serving.prompt_tokens") + "must be at most 16777216, got 99999999",
        prefix(f, 10, 22, "cases[0].serving.output_tokens") + "must be at least 1, got 0",
        prefix(f, 11, 19, "cases[0].serving.ttft_limit") + "must be positive, got '-2 s'",
        prefix(f, 12, 35, "cases[0].serving.speculation.draft_tokens") + "must be at most 64, got 100",
        prefix(f, 12, 52, "cases[0].serving.speculation.acceptance") +
            "expected a fraction between 0 and 1 as a plain number (e.g. 0.8), got '70%'",
        prefix(f, 13, 28, "cases[0].serving.prefill") +
            "unknown key 'tensor_parallel'; valid keys: chips, ranks_per_chip, tp, ep, batch, shared_expert_ranks",
        prefix(f, 15, 13, "cases[0].serving.decode.tp") + "must be at least 1, got 0",
        prefix(f, 16, 16, "cases[0].serving.decode.batch") + "expected an integer, got 'lots'",
        prefix(f, 17, 30, "cases[0].serving.decode.shared_expert_ranks") + "must be at least 0, got -1",
        prefix(f, 19, 25, "cases[0].serving.execution.memory_reserve") +
            "expected the fraction of HBM kept free, a number in [0, 1) such as 0.1, got '1.5'",
        prefix(f, 20, 23, "cases[0].serving.execution.overlap_comm") + "expected true or false, got 'yes'",
        prefix(f, 21, 27, "cases[0].serving.execution.expert_imbalance") +
            "expected the most loaded expert rank's tokens over the mean, a number from 1 (balanced) to 1000, got '2x'",
        prefix(f, 22, 19, "cases[0].serving.execution.dispatch") + "'fp4' is not valid (did you mean 'fp8'?); valid: bf16, fp8, int8",
        prefix(f, 25, 13, "cases[0].measured.tpot") +
            "'50 tokens/s' is a token rate, but a time is needed, written like '1.2 us', '3 ms', '10 min'",
        prefix(f, 28, 14, "cases[1].serving") + "expected a mapping of keys, got a scalar",
        "16 errors",
    };
    CHECK(lines == expected);

    // The valid counterpart: a given decode plan and searched batches on one HGX H100 server.
    const std::string good = source_dir + "/tests/data/good/serving_small.yaml";
    const Result ok = check({good});
    INFO(ok.err);
    CHECK(ok.code == 0);
    CHECK(ok.out == good + ": ok (2 cases)\n");
}

TEST_CASE("scenario: reliability section: each problem named where it is") {
    // sim/scenario/reliability_decoder.cpp, and the training section it needs (scenario_loader.cpp).
    expect_one_error("reliability_unknown_profile.yaml", 11, 28, "cases[0].reliability.profile",
                     "unknown reliability profile 'meta_llama3_h10' (did you mean 'meta_llama3_h100'?); valid: "
                     "independent_fleet_2024, meta_llama3_h100, ub_mesh_network_assumption (models/reliability/)");
    expect_one_error("reliability_bandwidth_missing.yaml", 12, 7, "cases[0].reliability",
                     "missing key 'checkpoint_bandwidth' (the checkpoint storage's aggregate write bandwidth, e.g. \"1 TB/s\")");
    expect_one_error("reliability_bandwidth_wrong_dimension.yaml", 13, 29, "cases[0].reliability.checkpoint_bandwidth",
                     "'2 TB' is a data size, but a data rate is needed, written like '900 GB/s' (bytes) or '400 Gb/s' (bits)");
    expect_one_error("reliability_interval_no_unit.yaml", 14, 28, "cases[0].reliability.checkpoint_interval",
                     "missing unit in '3600': every dimensioned value carries its unit; a time is written like '1.2 us', '3 ms', "
                     "'10 min'");
    expect_one_error("reliability_zero_accelerators_per_host.yaml", 13, 30, "cases[0].reliability.accelerators_per_host",
                     "expected accelerators per server, a number from 0.001 to 1e6 such as 8, got '0'");
    expect_one_error("reliability_unknown_key.yaml", 14, 7, "cases[0].reliability",
                     "unknown key 'restart_tme' (did you mean 'restart_time'?); valid keys: profile, accelerators_per_host, "
                     "nics_per_accelerator, accelerators_per_rack, checkpoint_bandwidth, checkpoint_interval, restart_time, spares");
    expect_one_error("reliability_without_training.yaml", 6, 18, "cases[0].reliability",
                     "reliability gives a training job's goodput: add the 'training' section it applies to");

    // Every problem of a file at once, in line order.
    const std::string f = bad("reliability_many_errors.yaml");
    const Result r = check({f});
    INFO(r.err);
    CHECK(r.code == 3);
    CHECK(r.out.empty());
    const std::vector<std::string> expected{
        prefix(f, 12, 16, "cases[0].reliability.profile") + "expected a string, got a list",
        prefix(f, 13, 30, "cases[0].reliability.accelerators_per_host") +
            "expected accelerators per server, a number from 0.001 to 1e6 such as 8, got 'eight'",
        prefix(f, 14, 29, "cases[0].reliability.nics_per_accelerator") +
            "expected scale-out NICs per accelerator, a number from 0.001 to 1e6 such as 1, got '2000000'",
        prefix(f, 15, 29, "cases[0].reliability.checkpoint_bandwidth") + "must be positive, got '-1 TB/s'",
        prefix(f, 16, 28, "cases[0].reliability.checkpoint_interval") + "must be positive, got '0 s'",
        prefix(f, 17, 21, "cases[0].reliability.restart_time") +
            "'10 GB' is a data size, but a time is needed, written like '1.2 us', '3 ms', '10 min'",
        prefix(f, 25, 18, "cases[1].reliability") + "expected a mapping of keys, got a scalar",
        prefix(f, 33, 18, "cases[2].reliability") + "missing key 'profile'",
        "8 errors",
    };
    CHECK(lines_of(r.err) == expected);

    // Racks and spares (issue 10): every problem at once; a swap-in longer than the restart it replaces.
    const std::string sp = bad("reliability_spares_errors.yaml");
    const Result rs = check({sp});
    INFO(rs.err);
    CHECK(rs.code == 3);
    const std::vector<std::string> expected_spares{
        prefix(sp, 14, 30, "cases[0].reliability.accelerators_per_rack") +
            "expected accelerators per rack (cabinet), a number from 0.001 to 1e9 such as 72, got '0'",
        prefix(sp, 16, 9, "cases[0].reliability.spares") +
            "missing key 'repair_time' (how long a failed accelerator is out before it is a spare again (e.g. \"72 h\"))",
        prefix(sp, 16, 21, "cases[0].reliability.spares.per_domain") + "must be at least 1, got 0",
        prefix(sp, 17, 9, "cases[0].reliability.spares") +
            "unknown key 'domain_sise' (did you mean 'domain_size'?); valid keys: per_domain, domain_size, swap_time, repair_time",
        prefix(sp, 18, 20, "cases[0].reliability.spares.swap_time") +
            "'3 GB' is a data size, but a time is needed, written like '1.2 us', '3 ms', '10 min'",
        prefix(sp, 29, 44, "cases[1].reliability.spares.swap_time") +
            "a spare's swap-in must not take longer than the restart it replaces: 1200 s > the restart time, 600 s",
        prefix(sp, 40, 15, "cases[2].reliability.spares") + "expected a mapping of keys, got a list",
        "7 errors",
    };
    CHECK(lines_of(rs.err) == expected_spares);

    // A profile file's figures are checked like every catalog figure: an MTBF needs its unit.
    expect_edit_error("reliability/meta_llama3_h100.yaml", "value: \"79200 h\"", "value: \"79200\"", "\"79200\"",
                      "figures.accelerator_mtbf.value",
                      "missing unit in '79200': every dimensioned value carries its unit; a time is written like '1.2 us'");

    // The valid counterpart: Daly's interval, and every key given.
    const std::string good = source_dir + "/tests/data/good/reliability_small.yaml";
    const Result ok = check({good});
    INFO(ok.err);
    CHECK(ok.code == 0);
    CHECK(ok.out == good + ": ok (2 cases)\n");
}

TEST_CASE("scenario: every problem of a training section is reported at once") {
    const Result r = check_bad("training_many_errors.yaml");
    INFO(r.err);
    CHECK(r.code == 3);
    const std::string f = bad("training_many_errors.yaml");
    CHECK(has_diagnostic(r, f, 8, 21, "cases[0].training.global_batch", "must be at least 1, got 0"));
    CHECK(has_diagnostic(r, f, 9, 18, "cases[0].training.precision", "'fp32' is not valid (did you mean 'fp16'?); valid: bf16, fp16, fp8"));
    CHECK(has_diagnostic(r, f, 12, 20, "cases[0].training.plan.recompute", "valid: none, selective, full"));
    CHECK(has_diagnostic(r, f, 13, 9, "cases[0].training.plan", "unknown key 'optimiser' (did you mean 'optimizer'?)"));
    CHECK(has_diagnostic(r, f, 14, 28, "cases[0].training.plan.sequence_parallel", "expected true or false, got 'yes'"));
    CHECK(has_diagnostic(r, f, 16, 16, "cases[0].training.execution.order", "ep must come right before dp"));
    CHECK(has_diagnostic(r, f, 17, 25, "cases[0].training.execution.memory_reserve", "a number in [0, 1)"));
    CHECK(has_diagnostic(r, f, 19, 7, "cases[0].measured", "give one measured figure, not 2 (mfu, tokens_per_s)"));
    CHECK(last_line(r.err) == "8 errors");
}

TEST_CASE("scenario: training values beyond their bounds are named, with the bound") {
    const Result r = check_bad("training_huge_values.yaml");
    INFO(r.err);
    CHECK(r.code == 3);
    const std::string f = bad("training_huge_values.yaml");
    CHECK(has_diagnostic(r, f, 8, 21, "cases[0].training.global_batch", "must be at most 4294967296, got 9223372036854775807"));
    CHECK(has_diagnostic(r, f, 9, 16, "cases[0].training.seq_len", "must be at most 134217728"));
    CHECK(has_diagnostic(r, f, 10, 18, "cases[0].training.plan.tp", "must be at most 16777216"));
    CHECK(has_diagnostic(r, f, 10, 52, "cases[0].training.plan.micro_batch", "must be at most 16777216, got 99999999999"));
    CHECK(last_line(r.err) == "4 errors");
}

TEST_CASE("scenario: recompute_layers needs full recomputation and at least one layer") {
    const Result r = check_bad("training_recompute_layers.yaml");
    INFO(r.err);
    CHECK(r.code == 3);
    const std::string f = bad("training_recompute_layers.yaml");
    CHECK(has_diagnostic(r, f, 9, 68, "cases[0].training.plan.recompute_layers",
                         "recompute_layers counts the layers of each model chunk that recompute in full: it needs recompute: full"));
    CHECK(has_diagnostic(r, f, 15, 63, "cases[1].training.plan.recompute_layers", "must be at least 1, got 0"));
    CHECK(last_line(r.err) == "2 errors");
}

TEST_CASE("scenario: recompute_modules needs selective recomputation and a list of known modules, each once") {
    const Result r = check_bad("training_recompute_modules.yaml");
    INFO(r.err);
    CHECK(r.code == 3);
    const std::string f = bad("training_recompute_modules.yaml");
    CHECK(has_diagnostic(r, f, 9, 71, "cases[0].training.plan.recompute_modules",
                         "recompute_modules lists what selective recomputation re-runs: it needs recompute: selective"));
    CHECK(has_diagnostic(r, f, 15, 77, "cases[1].training.plan.recompute_modules[0]",
                         "unknown module 'layernorms' (did you mean 'layernorm'?); valid: core_attn, layernorm, mla_up_proj, moe_act"));
    CHECK(has_diagnostic(r, f, 15, 98, "cases[1].training.plan.recompute_modules[2]", "module 'moe_act' is listed twice"));
    CHECK(has_diagnostic(r, f, 21, 76, "cases[2].training.plan.recompute_modules", "expected a non-empty list of modules"));
    CHECK(last_line(r.err) == "4 errors");
}

TEST_CASE("scenario: layers_per_stage is a list of positive layer counts, one per stage, summing to the workload's") {
    const Result r = check_bad("training_layers_per_stage.yaml");
    INFO(r.err);
    CHECK(r.code == 3);
    const std::string f = bad("training_layers_per_stage.yaml");
    CHECK(has_diagnostic(r, f, 9, 53, "cases[0].training.plan.layers_per_stage",
                         "expected a list of the layers of each pipeline stage, first to last, e.g. [17, 20, 22, 21]"));
    CHECK(has_diagnostic(r, f, 15, 53, "cases[1].training.plan.layers_per_stage",
                         "lists 3 stages, but pp is 4: one entry per pipeline stage"));
    CHECK(has_diagnostic(r, f, 21, 54, "cases[2].training.plan.layers_per_stage[0]", "must be at least 1, got 0"));
    CHECK(has_diagnostic(r, f, 21, 61, "cases[2].training.plan.layers_per_stage[2]", "expected an integer, got 'ten'"));
    CHECK(has_diagnostic(r, f, 27, 53, "cases[3].training.plan.layers_per_stage", "lists 31 layers in all, but llama3_8b has 32"));
    CHECK(has_diagnostic(r, f, 33, 72, "cases[4].training.plan.layers_per_stage",
                         "splits the layers over the pipeline stages: it needs virtual_stages 1"));
    CHECK(last_line(r.err) == "6 errors");
}

TEST_CASE("scenario: activation_offload_layers within Megatron-Core's limits, on a chip with a host link and known host memory") {
    const Result r = check_bad("training_activation_offload.yaml");
    INFO(r.err);
    CHECK(r.code == 3);
    const std::string f = bad("training_activation_offload.yaml");
    CHECK(has_diagnostic(r, f, 9, 48, "cases[0].training.plan.activation_offload_layers",
                         "activation_offload_layers 32 must be below the 32 layers of llama3_8b"));
    CHECK(has_diagnostic(r, f, 15, 62, "cases[1].training.plan.activation_offload_layers",
                         "activation offloading needs pp 1 (Megatron-Core has no offloading with pipeline parallelism)"));
    CHECK(has_diagnostic(r, f, 21, 48, "cases[2].training.plan.activation_offload_layers", "must be at least 0, got -1"));
    CHECK(has_diagnostic(r, f, 28, 48, "cases[3].training.plan.activation_offload_layers",
                         "ascend_910b has no host_link_bandwidth figure: activation offloading needs one in its chip file"));
    // Reported beside the case's other errors.
    CHECK(has_diagnostic(r, f, 33, 21, "cases[4].training.global_batch", "must be at least 1, got 0"));
    CHECK(has_diagnostic(r, f, 34, 72, "cases[4].training.plan.activation_offload_layers",
                         "activation offloading needs recompute none (Megatron-Core does not offload with recomputation)"));
    CHECK(has_diagnostic(r, f, 41, 48, "cases[5].training.plan.activation_offload_layers",
                         "system meta_h100_roce_24k states no host_memory: activation offloading needs it"));
    // A plan's choice, not an execution switch.
    CHECK(has_diagnostic(r, f, 47, 19, "cases[6].training.execution", "unknown key 'activation_offload_layers'"));
    CHECK(last_line(r.err) == "8 errors");
}

TEST_CASE("scenario: activation_cache: fp8 needs FP8 training with fused element-wise kernels") {
    const Result r = check_bad("training_activation_cache.yaml");
    INFO(r.err);
    CHECK(r.code == 3);
    const std::string f = bad("training_activation_cache.yaml");
    CHECK(has_diagnostic(r, f, 10, 37, "cases[0].training.execution.activation_cache",
                         "activation_cache: fp8 is DeepSeek-V3's cache of FP8 training, but precision is bf16 (valid: precision: fp8, "
                         "or activation_cache: bf16)"));
    CHECK(has_diagnostic(r, f, 18, 37, "cases[1].training.execution.activation_cache", "'e5m6' is not valid; valid: bf16, fp8"));
    CHECK(has_diagnostic(r, f, 26, 57, "cases[2].training.execution.activation_cache",
                         "activation_cache: fp8 is DeepSeek-V3's fused kernels' cache; elementwise: eager keeps what eager PyTorch saves"));
    CHECK(last_line(r.err) == "3 errors");
}

TEST_CASE("scenario: a training execution the chip or the workload cannot run is an error where it is asked for") {
    const Result r = check_bad("training_execution_kernels.yaml");
    INFO(r.err);
    CHECK(r.code == 3);
    const std::string f = bad("training_execution_kernels.yaml");
    CHECK(has_diagnostic(r, f, 9, 30, "cases[0].training.execution.attention",
                         "nvidia_h20 has no figures for FlashAttention's Triton kernel"));
    CHECK(has_diagnostic(r, f, 15, 32, "cases[1].training.execution.elementwise",
                         "elementwise: eager describes the Llama reference code (RMSNorm, rotary embedding, SwiGLU, "
                         "grouped-query attention); gpt3_175b has LayerNorm and biases"));
    CHECK(has_diagnostic(r, f, 27, 32, "cases[3].training.execution.fp8_scaling",
                         "fp8_scaling: block describes FP8 matrix products, but precision is bf16 (valid: precision: fp8, "
                         "or fp8_scaling: tensor)"));
    // Training dispatches in BF16 or FP8 (serving also takes int8).
    CHECK(has_diagnostic(r, f, 40, 29, "cases[5].training.execution.dispatch", "'int8' is not valid; valid: bf16, fp8"));
    CHECK(has_diagnostic(r, f, 46, 32, "cases[6].training.execution.fp8_scaling",
                         "fp8_scaling: current describes FP8 matrix products, but precision is bf16 (valid: precision: fp8, "
                         "or fp8_scaling: tensor)"));
    // FSDP's buffers by what they are, not by version.
    CHECK(has_diagnostic(r, f, 59, 25, "cases[8].training.execution.fsdp", "'fsdp2' is not valid; valid: flat, flat_parameter, per_parameter"));
    // Gradient accumulation by what it does, not by framework.
    CHECK(has_diagnostic(r, f, 79, 38, "cases[11].training.execution.grad_accumulation",
                         "'deepspeed' is not valid; valid: fused, autograd, fp32, fp16, fp32_cast"));
    // A sharding switch against a given plan of another sharding; with a searched plan, they apply where it fits.
    CHECK(has_diagnostic(r, f, 86, 25, "cases[12].training.execution.fsdp",
                         "fsdp: per_parameter describes zero3's gathered parameters, but the plan's optimizer is zero1 (valid: "
                         "optimizer: zero3, or fsdp: flat)"));
    CHECK(has_diagnostic(r, f, 93, 38, "cases[13].training.execution.grad_accumulation",
                         "grad_accumulation: autograd describes how plain and zero1 add micro-batches' gradients, but the plan's "
                         "optimizer is zero3, which reduces every micro-batch's (valid: optimizer: plain or zero1, or "
                         "grad_accumulation: fused)"));
    // The rotary embedding's kernels: only for rotary positions, and not under eager element-wise work, which has its own.
    CHECK(has_diagnostic(r, f, 105, 25, "cases[15].training.execution.rope",
                         "rope: unfused describes the rotary embedding's kernels, but gpt3_175b has learned positions (valid: a "
                         "workload with positions: rotary, or rope: fused)"));
    CHECK(has_diagnostic(r, f, 111, 45, "cases[16].training.execution.rope",
                         "rope: fused describes Megatron-LM's rotary kernels; elementwise: eager runs the Llama reference code's own "
                         "(torchtitan's, through complex64) (valid: leave rope out, or elementwise: fused)"));
    CHECK(has_diagnostic(r, f, 117, 25, "cases[17].training.execution.rope", "'megatron' is not valid; valid: fused, unfused"));
    // How pipeline sends travel, by what they carry.
    CHECK(has_diagnostic(r, f, 129, 35, "cases[19].training.execution.pipeline_sends",
                         "'scatter_gather' is not valid; valid: whole, split"));
    // The column-parallel backward's overlap is part of the whole overlap.
    CHECK(has_diagnostic(r, f, 135, 63, "cases[20].training.execution.overlap_tp_backward",
                         "overlap_tp_backward describes the column-parallel products' asynchronous backward exchanges, which "
                         "overlap_tp_comm: true overlaps already with every other exchange (valid: one of them)"));
    CHECK(last_line(r.err) == "14 errors");  // the H100 cases run both, and block and current scales in FP8
}

TEST_CASE("scenario: activation_quant is fused or separate, for both phases or each, and separate needs 8-bit weights") {
    const Result r = check_bad("serving_activation_quant.yaml");
    INFO(r.err);
    CHECK(r.code == 3);
    const std::string f = bad("serving_activation_quant.yaml");
    CHECK(has_diagnostic(r, f, 11, 37, "cases[0].serving.execution.activation_quant",
                         "activation_quant: separate describes the inputs of 8-bit products, but weights are bf16"));
    CHECK(has_diagnostic(r, f, 19, 37, "cases[1].serving.execution.activation_quant", "valid: fused, separate"));
    // Per phase: each value checked, and the mapping's keys.
    CHECK(has_diagnostic(r, f, 27, 65, "cases[2].serving.execution.activation_quant.decode",
                         "'maybe' is not valid; valid: fused, separate"));
    CHECK(has_diagnostic(r, f, 27, 72, "cases[2].serving.execution.activation_quant",
                         "unknown key 'dcode' (did you mean 'decode'?); valid keys: prefill, decode"));
    CHECK(last_line(r.err) == "4 errors");
}

TEST_CASE("scenario: fp8_scaling is tensor or block, and block needs FP8 weights") {
    const Result r = check_bad("serving_fp8_scaling.yaml");
    INFO(r.err);
    CHECK(r.code == 3);
    const std::string f = bad("serving_fp8_scaling.yaml");
    CHECK(has_diagnostic(r, f, 11, 32, "cases[0].serving.execution.fp8_scaling",
                         "fp8_scaling: block describes FP8 weights, but weights are bf16"));
    CHECK(has_diagnostic(r, f, 19, 32, "cases[1].serving.execution.fp8_scaling", "valid: tensor, block"));
    CHECK(last_line(r.err) == "2 errors");
}
