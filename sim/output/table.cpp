#include "output/table.hpp"

#include <algorithm>

namespace clustersim::output {
namespace {

// Display width: count UTF-8 code points, not bytes (for '×' and 'µ').
std::size_t width(const std::string& s) {
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

}  // namespace

std::string Table::render() const {
    std::vector<std::size_t> w(header.size(), 0);
    for (std::size_t c = 0; c < header.size(); ++c) w[c] = width(header[c]);
    for (const auto& row : rows) {
        for (std::size_t c = 0; c < row.size() && c < w.size(); ++c) w[c] = std::max(w[c], width(row[c]));
    }
    auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (std::size_t c = 0; c < w.size(); ++c) {
            const std::string cell = c < cells.size() ? cells[c] : std::string();
            const std::string pad(w[c] - width(cell), ' ');
            const bool right = c < right_aligned.size() && right_aligned[c];
            out += (c ? "  " : "") + (right ? pad + cell : cell + pad);
        }
        while (!out.empty() && out.back() == ' ') out.pop_back();
        return out + "\n";
    };
    std::string out = line(header);
    std::vector<std::string> rule;
    for (auto x : w) rule.emplace_back(x, '-');
    out += line(rule);
    for (const auto& row : rows) out += line(row);
    return out;
}

}  // namespace clustersim::output
