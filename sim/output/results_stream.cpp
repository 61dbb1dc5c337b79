#include "output/results_stream.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <regex>
#include <system_error>

#include "diag/diagnostic.hpp"
#include "output/atomic_file.hpp"

namespace clustersim::output {

namespace fs = std::filesystem;

namespace {

const char* const partial_csv = "results.csv.partial";
const char* const partial_json = "run.json.partial";

[[noreturn]] void fail(const fs::path& path, const std::string& what) {
    throw diag::IoError(path.string() + ": error: " + what);
}

/// Reads CSV records (a quoted field may hold line breaks) one at a time, with the byte offset
/// just past each complete record. A last record without its line break is not returned.
class RecordReader {
public:
    explicit RecordReader(const fs::path& path) : in_(path, std::ios::binary) {
        if (!in_) fail(path, "cannot read file");
    }
    bool next(std::string& record) {
        record.clear();
        std::string line;
        bool quoted = false;
        while (std::getline(in_, line)) {
            if (in_.eof()) return false;  // no line break after it: cut short
            record += line;
            record += '\n';
            quoted ^= (std::count(line.begin(), line.end(), '"') % 2) != 0;
            if (!quoted) {
                end_ += record.size();
                return true;
            }
        }
        return false;
    }
    [[nodiscard]] std::uintmax_t end() const { return end_; }  ///< offset after the last complete record

private:
    std::ifstream in_;
    std::uintmax_t end_ = 0;
};

/// run.json without the paths it records (the scenario files as given on the command line, the catalog
/// directory): two runs of the same inputs from another working directory or machine are the same run.
std::string without_paths(const std::string& run_json) {
    static const std::regex scenario_path(R"re(\n    \{"path": "(?:[^"\\]|\\.)*", )re");
    static const std::regex catalog_dir(R"re("catalog": \{"dir": "(?:[^"\\]|\\.)*", )re");
    return std::regex_replace(std::regex_replace(run_json, scenario_path, "\n    {"), catalog_dir, "\"catalog\": {");
}

std::string slurp_or_empty(const fs::path& p) {
    std::error_code ec;
    return fs::exists(p, ec) ? read_file(p) : std::string();
}

}  // namespace

std::string Shard::folder() const { return "shard-" + std::to_string(index) + "-of-" + std::to_string(count); }

bool parse_shard(const std::string& text, Shard& shard) {
    const auto slash = text.find('/');
    if (slash == std::string::npos) return false;
    std::size_t k = 0;
    std::size_t n = 0;
    const char* b = text.data();
    const auto [p1, e1] = std::from_chars(b, b + slash, k);
    const auto [p2, e2] = std::from_chars(b + slash + 1, b + text.size(), n);
    if (e1 != std::errc{} || e2 != std::errc{} || p1 != b + slash || p2 != b + text.size()) return false;
    if (n < 1 || k < 1 || k > n || n > max_shards) return false;
    shard = {k, n};
    return true;
}

fs::path ResultsStream::partial_path() const { return dir_ / partial_csv; }

ResultsStream::ResultsStream(fs::path dir, const std::string& header, const std::string& run_json, bool resume,
                             std::size_t total_rows, const ExpectedPrefix& expected)
    : dir_(std::move(dir)) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) fail(dir_, "cannot create output directory: " + ec.message());
    const fs::path csv = dir_ / partial_csv;
    // A kill before the header was complete leaves nothing to keep: start fresh.
    const bool started = fs::exists(csv) && fs::file_size(csv) > 0 &&
                         !(fs::file_size(csv) < header.size() && header.starts_with(slurp_or_empty(csv)));
    if (resume && started) {
        const std::string before = slurp_or_empty(dir_ / partial_json);
        if (before.empty()) fail(csv, "has no run.json.partial beside it to say which run wrote it; run without --resume to start over");
        if (without_paths(before) != without_paths(run_json)) {
            fail(csv, "was written by a different run (the inputs, the clustersim version or the shard differ); "
                      "run without --resume to start over");
        }
        RecordReader reader(csv);
        std::string record;
        if (!reader.next(record) || record != header) {
            fail(csv, "does not start with this version's results.csv header; run without --resume to start over");
        }
        while (rows_ < total_rows && reader.next(record)) {
            const std::string prefix = expected(rows_);
            if (record.compare(0, prefix.size(), prefix) != 0) {
                fail(csv, "row " + std::to_string(rows_ + 1) + " is not case '" + prefix.substr(0, prefix.size() - 1) +
                              "' of this run; run without --resume to start over");
            }
            ++rows_;
        }
        resumed_rows_ = rows_;
        fs::resize_file(csv, reader.end(), ec);  // drops a row cut short by the kill
        if (ec) fail(csv, "cannot truncate the partial file: " + ec.message());
        file_.open(csv, std::ios::binary | std::ios::app);
        if (!file_) fail(csv, "cannot append to file");
        return;
    }
    if (resume && fs::exists(dir_ / "results.csv") && without_paths(slurp_or_empty(dir_ / "run.json")) == without_paths(run_json)) {
        complete_ = true;
        rows_ = total_rows;
        return;
    }
    // The old rows go before the new fingerprint is written, so that a kill in between never leaves
    // them beside it.
    fs::remove(csv, ec);
    write_files_atomically({{dir_ / partial_json, run_json}});
    file_.open(csv, std::ios::binary | std::ios::trunc);
    file_ << header;
    file_.flush();
    if (!file_) fail(csv, "cannot write file");
}

void ResultsStream::append(const std::string& rows, std::size_t count) {
    buffer_ += rows;
    rows_ += count;
}

void ResultsStream::flush() {
    if (buffer_.empty()) return;
    file_ << buffer_;
    file_.flush();
    if (!file_) fail(dir_ / partial_csv, "cannot write file");
    buffer_.clear();
}

void ResultsStream::finish() {
    if (complete_) return;
    flush();
    file_.close();
    std::error_code ec;
    fs::rename(dir_ / partial_csv, dir_ / "results.csv", ec);
    if (!ec) fs::rename(dir_ / partial_json, dir_ / "run.json", ec);
    if (ec) fail(dir_ / "results.csv", "cannot write file: " + ec.message());
}

std::size_t merge_shards(const fs::path& dir) {
    // Every shard folder, by index; all must agree on the count.
    static const std::regex name(R"(shard-([0-9]+)-of-([0-9]+))");
    std::map<std::size_t, fs::path> shards;
    std::size_t count = 0;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::smatch m;
        const std::string leaf = it->path().filename().string();
        if (!it->is_directory() || !std::regex_match(leaf, m, name)) continue;
        const std::size_t k = std::stoul(m[1]);
        const std::size_t n = std::stoul(m[2]);
        if (k < 1 || k > n) fail(it->path(), "is not a shard of a run: K of N needs 1 <= K <= N");
        if (count != 0 && n != count) fail(dir, "holds shards of different runs (of " + std::to_string(count) + " and of " + std::to_string(n) + ")");
        count = n;
        shards.emplace(k, it->path());
    }
    if (ec) fail(dir, "cannot list directory: " + ec.message());
    if (count == 0) fail(dir, "holds no shard folders (shard-K-of-N, written by 'clustersim run --shard K/N')");
    for (std::size_t k = 1; k <= count; ++k) {
        if (shards.count(k) == 0) fail(dir / Shard{k, count}.folder(), "is missing: run shard " + std::to_string(k) + "/" + std::to_string(count) + " first");
        if (!fs::exists(shards[k] / "results.csv")) {
            fail(shards[k], fs::exists(shards[k] / partial_csv) ? "is not finished: resume it with --resume --shard " + std::to_string(k) + "/" + std::to_string(count)
                                                                : "holds no results.csv");
        }
    }
    // The run.json each shard wrote, without its shard line, is the unsharded run's; the shard line
    // must name the folder's block.
    std::string merged_json;
    std::map<std::size_t, std::size_t> block_rows;  // shard -> rows its run.json says it holds
    std::size_t next_row = 0;
    for (const auto& [k, path] : shards) {
        std::string json = read_file(path / "run.json");
        const auto at = json.find("\n  \"shard\": ");
        if (at == std::string::npos) fail(path / "run.json", "has no shard entry");
        static const std::regex line(R"re(\n  "shard": \{"index": ([0-9]+), "count": ([0-9]+), "first_row": ([0-9]+), "rows": ([0-9]+)\},)re");
        std::smatch sm;
        const std::string entry = json.substr(at, json.find('\n', at + 1) - at);
        if (!std::regex_match(entry, sm, line) || std::stoul(sm[1]) != k || std::stoul(sm[2]) != count ||
            std::stoul(sm[3]) != next_row) {
            fail(path / "run.json", "does not describe shard " + std::to_string(k) + " of " + std::to_string(count) +
                                        " starting at row " + std::to_string(next_row + 1) + ": was the folder copied or renamed?");
        }
        block_rows[k] = std::stoul(sm[4]);
        next_row += block_rows[k];
        json.erase(at, entry.size());
        if (merged_json.empty()) {
            merged_json = json;
        } else if (without_paths(json) != without_paths(merged_json)) {
            fail(path / "run.json", "differs from shard 1's: the shards ran different inputs or clustersim versions");
        }
    }
    // Rows: the header once, then each shard's rows in order, streamed to a temporary file.
    fs::path tmp = dir / "results.csv.merging";
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    std::string header;
    std::size_t rows = 0;
    for (const auto& [k, path] : shards) {
        RecordReader reader(path / "results.csv");
        std::string record;
        if (!reader.next(record)) fail(path / "results.csv", "is empty");
        if (header.empty()) {
            header = record;
            out << header;
        } else if (record != header) {
            fail(path / "results.csv", "has a different header from shard 1's");
        }
        std::size_t block = 0;
        while (reader.next(record)) {
            out << record;
            ++block;
        }
        if (block != block_rows[k]) {
            out.close();
            fs::remove(tmp, ec);
            fail(path / "results.csv", "holds " + std::to_string(block) + " rows, not the " + std::to_string(block_rows[k]) +
                                           " of its block");
        }
        rows += block;
    }
    out.close();
    if (!out) {
        fs::remove(tmp, ec);
        fail(dir / "results.csv", "cannot write file");
    }
    const auto rows_at = merged_json.find("\"rows\": ");
    if (rows_at == std::string::npos || std::stoul(merged_json.substr(rows_at + 8)) != rows) {
        fs::remove(tmp, ec);
        fail(dir, "the shards hold " + std::to_string(rows) + " rows, not the run's");
    }
    write_files_atomically({{dir / "run.json", merged_json}});
    fs::rename(tmp, dir / "results.csv", ec);
    if (ec) fail(dir / "results.csv", "cannot write file: " + ec.message());
    return rows;
}

}  // namespace clustersim::output
