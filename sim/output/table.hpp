#pragma once
// Plain-text tables for the terminal: a header, rows, columns padded to width.
#include <string>
#include <vector>

namespace clustersim::output {

struct Table {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    std::vector<bool> right_aligned;  ///< per column; missing entries are left-aligned

    [[nodiscard]] std::string render() const;
};

}  // namespace clustersim::output
