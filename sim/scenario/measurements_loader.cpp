#include "scenario/measurements_loader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "diag/diagnostic.hpp"
#include "diag/suggest.hpp"

namespace clustersim::scenario {
namespace {

const std::vector<std::string> columns{"operation", "time_s", "dtype",   "m",      "n",      "k",     "batch",
                                       "heads_q",   "heads_kv", "head_dim", "seq_q", "seq_kv", "causal", "pass",
                                       "bytes",     "source"};

struct Field {
    std::string text;
    int column = 0;  ///< 1-based character column of the field's start
};

// RFC 4180 fields of one line (quotes may hold commas; "" is a quote).
std::vector<Field> split(const std::string& line) {
    std::vector<Field> out;
    std::size_t i = 0;
    while (true) {
        Field f;
        f.column = static_cast<int>(i) + 1;
        if (i < line.size() && line[i] == '"') {
            ++i;
            while (i < line.size()) {
                if (line[i] == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                    f.text += '"';
                    i += 2;
                } else if (line[i] == '"') {
                    ++i;
                    break;
                } else {
                    f.text += line[i++];
                }
            }
        }
        while (i < line.size() && line[i] != ',') f.text += line[i++];
        out.push_back(std::move(f));
        if (i >= line.size()) break;
        ++i;  // the comma
    }
    return out;
}

class RowReader {
public:
    RowReader(const std::string& file, int line, const std::map<std::string, std::size_t>& index,
              const std::vector<Field>& fields, diag::Diagnostics& diags)
        : file_(file), line_(line), index_(index), fields_(fields), diags_(diags) {}

    [[nodiscard]] const Field* field(const std::string& name) const {
        const auto it = index_.find(name);
        if (it == index_.end() || it->second >= fields_.size()) return nullptr;
        return fields_[it->second].text.empty() ? nullptr : &fields_[it->second];
    }
    void error(const Field* f, const std::string& name, const std::string& msg) {
        diags_.error({file_, line_, f ? f->column : 1}, name, msg);
        ok = false;
    }
    std::string text(const std::string& name) {
        const Field* f = field(name);
        if (!f) error(f, name, "missing value");
        return f ? f->text : std::string();
    }
    std::int64_t integer(const std::string& name, std::optional<std::int64_t> empty_means = std::nullopt) {
        const Field* f = field(name);
        if (!f) {
            if (empty_means) return *empty_means;
            error(f, name, "missing value (a positive integer)");
            return 1;
        }
        std::int64_t v = 0;
        const auto [p, ec] = std::from_chars(f->text.data(), f->text.data() + f->text.size(), v);
        if (ec != std::errc() || p != f->text.data() + f->text.size() || v < 1) {
            error(f, name, "expected a positive integer, got '" + f->text + "'");
            return 1;
        }
        return v;
    }
    double number(const std::string& name) {
        const Field* f = field(name);
        double v = 0;
        if (f) {
            const auto [p, ec] = std::from_chars(f->text.data(), f->text.data() + f->text.size(), v);
            if (ec == std::errc() && p == f->text.data() + f->text.size() && std::isfinite(v) && v > 0) return v;
        }
        error(f, name, "expected a positive number" + (f ? ", got '" + f->text + "'" : std::string()));
        return 1;
    }
    std::string choice(const std::string& name, const std::vector<std::string>& valid) {
        const std::string s = text(name);
        if (!s.empty() && std::find(valid.begin(), valid.end(), s) == valid.end()) {
            error(field(name), name, "'" + s + "' is not valid" + diag::did_you_mean(s, valid) + "; valid: " + diag::join_names(valid));
        }
        return s;
    }
    chip::DType dtype() {
        if (const Field* f = field("dtype"); f && f->text == "fp8_block") {
            error(f, "dtype", "fp8_block marks a matrix product with block scales (matmul rows only); attention rows "
                              "take bf16, fp16, fp8, fp4 or int8");
            return chip::DType::fp8;
        }
        std::vector<std::string> names;
        for (const auto d : chip::all_dtypes) names.emplace_back(chip::to_string(d));
        return chip::dtype_from_string(choice("dtype", names)).value_or(chip::DType::bf16);
    }
    /// A matrix product's dtype, or fp8_block: FP8 with fine-grained block scales (chip::Matmul::block_scaled).
    std::pair<chip::DType, bool> matmul_dtype() {
        std::vector<std::string> names;
        for (const auto d : chip::all_dtypes) names.emplace_back(chip::to_string(d));
        names.emplace_back("fp8_block");
        const std::string s = choice("dtype", names);
        if (s == "fp8_block") return {chip::DType::fp8, true};
        return {chip::dtype_from_string(s).value_or(chip::DType::bf16), false};
    }

    bool ok = true;

private:
    const std::string& file_;
    int line_;
    const std::map<std::string, std::size_t>& index_;
    const std::vector<Field>& fields_;
    diag::Diagnostics& diags_;
};

}  // namespace

std::vector<chip::Measurement> load_measurements(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw diag::IoError(path.string() + ": error: cannot read file");
    const std::string file = path.string();
    diag::Diagnostics diags;
    std::string line;
    int line_no = 0;
    std::map<std::string, std::size_t> index;
    std::vector<chip::Measurement> out;
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        const auto fields = split(line);
        if (index.empty()) {
            for (std::size_t i = 0; i < fields.size(); ++i) {
                const auto& name = fields[i].text;
                if (std::find(columns.begin(), columns.end(), name) == columns.end()) {
                    diags.error({file, line_no, fields[i].column}, "",
                                "unknown column '" + name + "'" + diag::did_you_mean(name, columns) +
                                    "; valid: " + diag::join_names(columns));
                } else if (!index.emplace(name, i).second) {
                    diags.error({file, line_no, fields[i].column}, "", "duplicate column '" + name + "'");
                }
            }
            for (const char* required : {"operation", "time_s"}) {
                if (index.count(required) == 0) diags.error({file, line_no, 1}, "", std::string("missing column '") + required + "'");
            }
            diags.throw_if_any();
            continue;
        }
        if (fields.size() > index.size()) {
            diags.error({file, line_no, fields[index.size()].column}, "",
                        "row has " + std::to_string(fields.size()) + " fields, the header " + std::to_string(index.size()));
            continue;
        }
        RowReader r(file, line_no, index, fields, diags);
        chip::Measurement m;
        m.label = path.filename().string() + ":" + std::to_string(line_no);
        if (const auto* src = r.field("source")) m.label += " (" + src->text + ")";
        const std::string op = r.choice("operation", {"matmul", "attention", "memory"});
        m.time_s = r.number("time_s");
        if (op == "matmul") {
            const auto [dtype, block_scaled] = r.matmul_dtype();
            m.op = chip::Matmul{r.integer("m"), r.integer("n"), r.integer("k"), r.integer("batch", 1), dtype, block_scaled};
        } else if (op == "attention") {
            chip::Attention a;
            a.dtype = r.dtype();
            a.batch = r.integer("batch", 1);
            a.heads_q = r.integer("heads_q");
            a.heads_kv = r.integer("heads_kv");
            a.head_dim = r.integer("head_dim");
            a.seq_q = r.integer("seq_q");
            a.seq_kv = r.integer("seq_kv");
            a.causal = r.choice("causal", {"true", "false"}) == "true";
            a.pass = r.choice("pass", {"forward", "backward"}) == "backward" ? chip::Pass::backward : chip::Pass::forward;
            if (a.heads_q % a.heads_kv != 0) r.error(r.field("heads_kv"), "heads_kv", "heads_kv must divide heads_q");
            if (a.seq_q > a.seq_kv) r.error(r.field("seq_q"), "seq_q", "seq_q cannot exceed seq_kv");
            m.op = a;
        } else if (op == "memory") {
            m.op = chip::MemoryOp{r.number("bytes"), 0.0};
        }
        if (r.ok) out.push_back(std::move(m));
    }
    if (index.empty()) diags.error({file, 1, 1}, "", "empty file: expected a header line and measurement rows");
    else if (out.empty() && diags.empty()) diags.error({file, line_no, 1}, "", "no measurement rows after the header");
    diags.throw_if_any();
    return out;
}

}  // namespace clustersim::scenario
