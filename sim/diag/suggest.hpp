#pragma once
// "Did you mean ...?" suggestions for unknown keys and names.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clustersim::diag {

/// Optimal string alignment distance (Levenshtein with transpositions), case-insensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The closest candidate within a small edit distance (about one edit per three characters).
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates);

/// " (did you mean 'x'?)" for the closest candidate, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

/// "a, b, c" in the given order.
std::string join_names(const std::vector<std::string>& names);

}  // namespace clustersim::diag
