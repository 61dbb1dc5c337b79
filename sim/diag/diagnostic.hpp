#pragma once
// Diagnostics for bad input, reported together, compiler style:
//   FILE:LINE:COL: error: key.path: message
// and the two typed errors library code throws (only app/ maps them to exit codes).
#include <stdexcept>
#include <string>
#include <vector>

namespace clustersim::diag {

/// A place in an input file. line and column are 1-based; 0 means unknown.
struct Location {
    std::string file;
    int line = 0;
    int column = 0;
};

struct Diagnostic {
    Location where;
    std::string key_path;  ///< e.g. "cases[2].chip"; empty for file-level problems
    std::string message;
};

/// "FILE:LINE:COL: error: key.path: message" (LINE:COL omitted when unknown).
std::string format(const Diagnostic& d);

/// Collects every problem found while decoding and validating, in a stable order.
class Diagnostics {
public:
    void error(Location where, std::string key_path, std::string message);
    [[nodiscard]] bool empty() const { return items_.empty(); }
    [[nodiscard]] std::size_t size() const { return items_.size(); }
    /// Sorted by file, line, column, then insertion order.
    [[nodiscard]] std::vector<Diagnostic> sorted() const;
    /// Throws InputError holding every diagnostic when any was recorded.
    void throw_if_any() const;
    void append(const Diagnostics& other);

private:
    std::vector<Diagnostic> items_;
};

/// Invalid input (scenario or catalog): exit code 3.
class InputError : public std::runtime_error {
public:
    explicit InputError(std::vector<Diagnostic> diagnostics);
    [[nodiscard]] const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

private:
    std::vector<Diagnostic> diagnostics_;
};

/// A file that cannot be read or written: exit code 4.
class IoError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace clustersim::diag
