#include "diag/suggest.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace clustersim::diag {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    auto eq = [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    };
    const std::size_t n = a.size();
    const std::size_t m = b.size();
    // Three rows suffice for optimal string alignment.
    std::vector<std::size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
    for (std::size_t j = 0; j <= m; ++j) prev[j] = j;
    for (std::size_t i = 1; i <= n; ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= m; ++j) {
            const std::size_t cost = eq(a[i - 1], b[j - 1]) ? 0 : 1;
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
            if (i > 1 && j > 1 && eq(a[i - 1], b[j - 2]) && eq(a[i - 2], b[j - 1])) {
                cur[j] = std::min(cur[j], prev2[j - 2] + 1);
            }
        }
        prev2 = prev;
        prev = cur;
    }
    return prev[m];
}

std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates) {
    // A unique candidate that starts with the word is what the user meant ("nvidia_h100" -> "nvidia_h100_sxm").
    const std::string* prefixed = nullptr;
    std::size_t count = 0;
    for (const auto& c : candidates) {
        if (word.size() >= 3 && c.size() > word.size() && c.compare(0, word.size(), word) == 0) {
            prefixed = &c;
            ++count;
        }
    }
    if (count == 1) return *prefixed;
    std::size_t best = std::numeric_limits<std::size_t>::max();
    const std::string* pick = nullptr;
    for (const auto& c : candidates) {
        const std::size_t d = edit_distance(word, c);
        if (d < best) {
            best = d;
            pick = &c;
        }
    }
    // Accept roughly one edit per three characters, at least two.
    const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
    if (pick == nullptr || best > limit) return std::nullopt;
    return *pick;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    const auto pick = closest(word, candidates);
    return pick ? " (did you mean '" + *pick + "'?)" : std::string();
}

std::string join_names(const std::vector<std::string>& names) {
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i) out += ", ";
        out += names[i];
    }
    return out;
}

}  // namespace clustersim::diag
