#include "scenario/yaml_reader.hpp"

#include <yaml-cpp/depthguard.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "diag/suggest.hpp"
#include "units/parse.hpp"

namespace clustersim::scenario {

diag::Location Source::at(const YAML::Node& node) const {
    if (!node.IsDefined()) return diag::Location{file, 0, 0};
    const YAML::Mark m = node.Mark();
    if (m.is_null()) return diag::Location{file, 0, 0};
    return diag::Location{file, m.line + 1, m.column + 1};  // yaml-cpp marks are 0-based
}

void Source::error(const YAML::Node& node, const std::string& path, std::string message) const {
    diags.error(at(node), path, std::move(message));
}

namespace {

// The line of a '---' marker that follows content of a first document, if any.
std::optional<int> second_document_line(const std::string& content) {
    bool content_seen = false;
    int line_no = 0;
    std::size_t start = 0;
    while (start <= content.size()) {
        const std::size_t end = std::min(content.find('\n', start), content.size());
        const std::string_view line(content.data() + start, end - start);
        ++line_no;
        const bool marker = line.substr(0, 3) == "---" && (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
        if (marker && content_seen) return line_no;
        const auto first = line.find_first_not_of(" \t\r");
        if (!marker && first != std::string_view::npos && line[first] != '#') content_seen = true;
        start = end + 1;
    }
    return std::nullopt;
}

}  // namespace

std::optional<YAML::Node> load_yaml_file(const std::filesystem::path& path, diag::Diagnostics& diags) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw diag::IoError(path.string() + ": error: cannot read file");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw diag::IoError(path.string() + ": error: read failed");
    return parse_yaml_text(text.str(), path.string(), diags);
}

std::optional<YAML::Node> parse_yaml_text(const std::string& content, const std::string& name,
                                          diag::Diagnostics& diags) {
    const std::filesystem::path path(name);
    if (content.find('\0') != std::string::npos) {
        diags.error(diag::Location{path.string(), 1, 1}, "", "not a text file (it contains NUL bytes)");
        return std::nullopt;
    }
    // YAML 1.2 (5.1, c-printable) allows no C0 control character but tab, LF and CR, and no DEL.
    // Rejecting them here also keeps yaml-cpp 0.7 out of an endless loop on such input.
    int line = 1;
    int column = 1;
    for (const char ch : content) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
            char code[8];
            std::snprintf(code, sizeof code, "U+%04X", c);
            diags.error(diag::Location{path.string(), line, column}, "",
                        std::string("control character ") + code + " is not allowed in YAML (only tab, LF and CR are)");
            return std::nullopt;
        }
        if (c == '\n') {
            ++line;
            column = 1;
        } else if ((c & 0xC0) != 0x80) {
            ++column;
        }
    }
    // One document per file. yaml-cpp 0.7's LoadAll can loop forever (e.g. on ", "), so the
    // document is read with Load and a second one is found by its '---' marker.
    if (const auto second = second_document_line(content)) {
        diags.error(diag::Location{path.string(), *second, 1}, "",
                    "a second YAML document ('---'): one file holds one document");
        return std::nullopt;
    }
    try {
        YAML::Node root = YAML::Load(content);
        if (!root.IsDefined() || root.IsNull()) {
            diags.error(diag::Location{path.string(), 1, 1}, "", "empty document: expected a mapping of keys");
            return std::nullopt;
        }
        return root;
    } catch (const YAML::DeepRecursion& e) {
        diags.error(diag::Location{path.string(), e.mark.line + 1, e.mark.column + 1}, "",
                    "YAML nests deeper than " + std::to_string(e.depth()) + " levels here; a scenario needs a few");
    } catch (const YAML::ParserException& e) {
        diags.error(diag::Location{path.string(), e.mark.line + 1, e.mark.column + 1}, "",
                    "YAML syntax error: " + e.msg);
    } catch (const YAML::Exception& e) {
        diags.error(diag::Location{path.string(), e.mark.line + 1, e.mark.column + 1}, "",
                    "YAML error: " + e.msg);
    }
    return std::nullopt;
}

std::string_view node_kind(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Map: return node.size() == 0 ? "an empty mapping" : "a mapping";
        case YAML::NodeType::Sequence: return node.size() == 0 ? "an empty list" : "a list";
        case YAML::NodeType::Scalar: return "a scalar";
        case YAML::NodeType::Null: return "null";
        case YAML::NodeType::Undefined: return "nothing";
    }
    return "?";
}

std::string join_path(const std::string& parent, std::string_view key) {
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string index_path(const std::string& parent, std::size_t index) {
    return parent + "[" + std::to_string(index) + "]";
}

MapReader::MapReader(const Source& src, const YAML::Node& node, std::string path, std::vector<std::string> allowed,
                     bool report)
    : src_(src), node_(node), path_(std::move(path)), allowed_(std::move(allowed)) {
    if (!node_.IsMap()) {
        if (report) src_.error(node_, path_, "expected a mapping of keys, got " + std::string(node_kind(node_)));
        return;
    }
    ok_ = true;
    std::set<std::string, std::less<>> seen;
    for (const auto& kv : node_) {
        if (!kv.first.IsScalar()) {
            if (report) src_.error(kv.first, path_, "keys must be plain words, got " + std::string(node_kind(kv.first)));
            continue;
        }
        const std::string key = kv.first.Scalar();
        if (!seen.insert(key).second) {
            if (report) src_.error(kv.first, join_path(path_, key), "duplicate key '" + key + "'");
            continue;
        }
        if (std::find(allowed_.begin(), allowed_.end(), key) == allowed_.end()) {
            unknown_.push_back(key);
            if (report) {
                src_.error(kv.first, path_,
                           "unknown key '" + key + "'" + diag::did_you_mean(key, allowed_) +
                               "; valid keys: " + diag::join_names(allowed_));
            }
        }
    }
}

YAML::Node MapReader::get(std::string_view key) const {
    if (!ok_) return YAML::Node(YAML::NodeType::Undefined);
    for (const auto& kv : node_) {
        if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second;
    }
    return YAML::Node(YAML::NodeType::Undefined);
}

bool MapReader::has(std::string_view key) const { return get(key).IsDefined(); }

bool MapReader::misspelt(std::string_view key) const {
    return std::any_of(unknown_.begin(), unknown_.end(),
                       [&](const std::string& u) { return diag::closest(u, allowed_) == key; });
}

std::optional<YAML::Node> MapReader::require(std::string_view key, std::string_view what) const {
    if (!ok_) return std::nullopt;
    YAML::Node n = get(key);
    if (!n.IsDefined()) {
        if (!misspelt(key)) src_.error(node_, path_, "missing key '" + std::string(key) + "' (" + std::string(what) + ")");
        return std::nullopt;
    }
    return n;
}

std::optional<std::string> MapReader::string(std::string_view key, bool required) const {
    YAML::Node n = get(key);
    if (!n.IsDefined()) {
        if (required && ok_ && !misspelt(key)) src_.error(node_, path_, "missing key '" + std::string(key) + "'");
        return std::nullopt;
    }
    return as_string(src_, n, join_path(path_, key));
}

std::optional<std::int64_t> MapReader::integer(std::string_view key, bool required, std::int64_t min_value,
                                               std::int64_t max_value) const {
    YAML::Node n = get(key);
    if (!n.IsDefined()) {
        if (required && ok_ && !misspelt(key)) src_.error(node_, path_, "missing key '" + std::string(key) + "'");
        return std::nullopt;
    }
    return as_integer(src_, n, join_path(path_, key), min_value, max_value);
}

std::optional<std::string> as_string(const Source& src, const YAML::Node& node, const std::string& path) {
    if (!node.IsScalar()) {
        src.error(node, path, "expected a string, got " + std::string(node_kind(node)));
        return std::nullopt;
    }
    return node.Scalar();
}

std::optional<std::int64_t> as_integer(const Source& src, const YAML::Node& node, const std::string& path,
                                       std::int64_t min_value, std::int64_t max_value) {
    if (!node.IsScalar()) {
        src.error(node, path, "expected an integer, got " + std::string(node_kind(node)));
        return std::nullopt;
    }
    const std::string& s = node.Scalar();
    std::int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc::result_out_of_range) {
        src.error(node, path, "integer '" + s + "' does not fit in 64 bits");
        return std::nullopt;
    }
    if (ec != std::errc() || ptr != s.data() + s.size()) {
        src.error(node, path, "expected an integer, got '" + s + "'");
        return std::nullopt;
    }
    if (v < min_value) {
        src.error(node, path, "must be at least " + std::to_string(min_value) + ", got " + s);
        return std::nullopt;
    }
    if (v > max_value) {
        src.error(node, path, "must be at most " + std::to_string(max_value) + ", got " + std::to_string(v));
        return std::nullopt;
    }
    return v;
}

std::optional<double> as_quantity(const Source& src, const YAML::Node& node, const std::string& path,
                                  units::Dimension dimension, bool allow_zero) {
    if (!node.IsScalar()) {
        src.error(node, path,
                  "expected a " + std::string(units::dimension_name(dimension)) + " with its unit, like " +
                      std::string(units::dimension_examples(dimension)) + ", got " + std::string(node_kind(node)));
        return std::nullopt;
    }
    auto r = units::parse_si(node.Scalar(), dimension);
    if (auto* err = std::get_if<std::string>(&r)) {
        src.error(node, path, std::move(*err));
        return std::nullopt;
    }
    const double v = std::get<double>(r);
    if (v < 0.0 || (v == 0.0 && !allow_zero)) {
        src.error(node, path, std::string(allow_zero ? "must not be negative" : "must be positive") + ", got '" +
                                  node.Scalar() + "'");
        return std::nullopt;
    }
    return v;
}

std::optional<double> plain_number(const YAML::Node& node) {
    if (!node.IsScalar()) return std::nullopt;
    const std::string& s = node.Scalar();
    double v = 0.0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

std::optional<bool> as_boolean(const Source& src, const YAML::Node& node, const std::string& path) {
    if (node.IsScalar() && (node.Scalar() == "true" || node.Scalar() == "false")) return node.Scalar() == "true";
    src.error(node, path,
              "expected true or false, got " + (node.IsScalar() ? "'" + node.Scalar() + "'" : std::string(node_kind(node))));
    return std::nullopt;
}

bool read_flag(const Source& src, const MapReader& m, std::string_view key, bool& out) {
    if (!m.has(key)) return true;
    const auto b = as_boolean(src, m.get(key), join_path(m.path(), key));
    out = b.value_or(out);
    return b.has_value();
}

bool read_choice(const Source& src, const MapReader& m, std::string_view key, std::initializer_list<std::string_view> choices,
                 std::string& out) {
    if (!m.has(key)) return true;
    const auto c = as_choice(src, m.get(key), join_path(m.path(), key), choices);
    out = c.value_or(out);
    return c.has_value();
}

bool read_number(const Source& src, const MapReader& m, std::string_view key, double& out, double low, double high,
                 bool high_included, std::string_view what) {
    if (!m.has(key)) return true;
    const auto v = as_number_in(src, m.get(key), join_path(m.path(), key), low, high, high_included, what);
    out = v.value_or(out);
    return v.has_value();
}

std::optional<double> as_number_in(const Source& src, const YAML::Node& node, const std::string& path, double low, double high,
                                   bool high_included, std::string_view what) {
    const double v = plain_number(node).value_or(std::nan(""));
    if (v >= low && (v < high || (high_included && v == high))) return v;
    src.error(node, path,
              "expected " + std::string(what) + ", got " + (node.IsScalar() ? "'" + node.Scalar() + "'" : std::string(node_kind(node))));
    return std::nullopt;
}

std::optional<double> as_fraction(const Source& src, const YAML::Node& node, const std::string& path) {
    if (!node.IsScalar()) {
        src.error(node, path, "expected a fraction between 0 and 1 (e.g. 0.8), got " + std::string(node_kind(node)));
        return std::nullopt;
    }
    const std::string& s = node.Scalar();
    const auto number = plain_number(node);
    if (!number) {
        src.error(node, path, "expected a fraction between 0 and 1 as a plain number (e.g. 0.8), got '" + s + "'");
        return std::nullopt;
    }
    const double v = *number;
    if (v <= 0.0 || v > 1.0) {
        src.error(node, path, "a fraction must be above 0 and at most 1, got " + s);
        return std::nullopt;
    }
    return v;
}

std::map<std::string, std::string, std::less<>> as_string_map(const Source& src, const YAML::Node& node,
                                                              const std::string& path) {
    std::map<std::string, std::string, std::less<>> out;
    if (!node.IsMap()) {
        src.error(node, path, "expected a mapping, got " + std::string(node_kind(node)));
        return out;
    }
    for (const auto& kv : node) {
        auto key = as_string(src, kv.first, path);
        if (!key) continue;
        auto value = as_string(src, kv.second, join_path(path, *key));
        if (!value) continue;
        if (!out.emplace(*key, *value).second) src.error(kv.first, join_path(path, *key), "duplicate key '" + *key + "'");
    }
    return out;
}

std::optional<std::string> as_choice(const Source& src, const YAML::Node& node, const std::string& path,
                                     const std::vector<std::string>& choices) {
    auto s = as_string(src, node, path);
    if (!s) return std::nullopt;
    if (std::find(choices.begin(), choices.end(), *s) != choices.end()) return s;
    src.error(node, path, "'" + *s + "' is not valid" + diag::did_you_mean(*s, choices) +
                              "; valid: " + diag::join_names(choices));
    return std::nullopt;
}

std::optional<std::string> as_choice(const Source& src, const YAML::Node& node, const std::string& path,
                                     std::initializer_list<std::string_view> choices) {
    return as_choice(src, node, path, std::vector<std::string>(choices.begin(), choices.end()));
}

}  // namespace clustersim::scenario
