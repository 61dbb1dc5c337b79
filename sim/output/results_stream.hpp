#pragma once
// results.csv written row by row, so that a sweep of any size streams to disk, a killed run can be
// resumed, and shards of one run can be merged into the file a single run writes.
//
// While a run is going, its rows are in DIR/results.csv.partial and the run.json it will write (the
// fingerprint of its inputs, version and shard) in DIR/run.json.partial. finish() renames both into
// place, so DIR/results.csv only ever appears complete. A shard K of N writes DIR/shard-K-of-N/;
// merge_shards() joins the shards into DIR/results.csv and DIR/run.json.
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

namespace clustersim::output {

/// At most this many shards (so that total x index cannot overflow for any run of at most
/// 10^12 rows).
inline constexpr std::size_t max_shards = 1'000'000;

/// Which contiguous block of a run's rows one shard holds: shard `index` (1-based) of `count`
/// holds rows [first_row(total), first_row(total) + rows(total)).
struct Shard {
    std::size_t index = 1;
    std::size_t count = 1;
    [[nodiscard]] std::size_t first_row(std::size_t total) const { return total * (index - 1) / count; }
    [[nodiscard]] std::size_t rows(std::size_t total) const { return total * index / count - first_row(total); }
    [[nodiscard]] bool whole() const { return count == 1; }
    /// "shard-2-of-4": the shard's folder inside the run's output folder.
    [[nodiscard]] std::string folder() const;
};

/// "2/4" -> {2, 4}; false when it is not K/N with 1 <= K <= N <= max_shards (the caller says so).
bool parse_shard(const std::string& text, Shard& shard);

class ResultsStream {
public:
    /// The start of row k as it must read ("scenario,case,"), to check a partial file belongs to this run.
    using ExpectedPrefix = std::function<std::string(std::size_t row)>;

    /// Opens DIR/results.csv.partial. Fresh: replaces any partial file and writes the header.
    /// Resume: keeps the complete rows of a partial file written with the same `run_json` (else throws
    /// diag::IoError saying why), drops a row cut short by a kill, and appends after them; with no
    /// partial file it starts fresh, and with a complete DIR/results.csv of the same run it is done.
    ResultsStream(std::filesystem::path dir, const std::string& header, const std::string& run_json, bool resume,
                  std::size_t total_rows, const ExpectedPrefix& expected);

    [[nodiscard]] std::size_t rows() const { return rows_; }  ///< complete rows written so far
    [[nodiscard]] bool complete() const { return complete_; }  ///< a resumed run that was already finished
    [[nodiscard]] bool resumed() const { return resumed_rows_ > 0; }
    [[nodiscard]] std::size_t resumed_rows() const { return resumed_rows_; }
    [[nodiscard]] std::filesystem::path partial_path() const;

    /// Buffers `count` complete rows; flush() writes them (call it at chunk ends).
    void append(const std::string& rows, std::size_t count);
    void flush();
    /// Renames the partial files into DIR/results.csv and DIR/run.json.
    void finish();

private:
    std::filesystem::path dir_;
    std::ofstream file_;
    std::string buffer_;
    std::size_t rows_ = 0;
    std::size_t resumed_rows_ = 0;
    bool complete_ = false;
};

/// Joins DIR/shard-K-of-N/{results.csv,run.json} (K = 1..N, every one complete, all from the same
/// inputs and version) into DIR/results.csv and DIR/run.json, byte-identical to what one unsharded
/// run writes. Returns the number of rows; throws diag::IoError naming what is missing or differs.
std::size_t merge_shards(const std::filesystem::path& dir);

}  // namespace clustersim::output
