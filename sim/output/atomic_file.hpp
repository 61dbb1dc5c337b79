#pragma once
// Writes files so that a reader never sees half of one: each file is written to a
// temporary name in the same directory and renamed into place only when complete.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace clustersim::output {

/// Writes every (path, content) pair; all temporaries are complete before the first rename.
/// Throws diag::IoError (and removes its temporaries) when a directory or file cannot be written.
void write_files_atomically(const std::vector<std::pair<std::filesystem::path, std::string>>& files);

/// Reads a whole file; throws diag::IoError.
std::string read_file(const std::filesystem::path& path);

}  // namespace clustersim::output
