#pragma once
// run.json: what produced a results.csv (version, git commit, hashes of every input file).
// It holds no time stamp, so the same inputs give the same bytes.
#include <filesystem>
#include <string>
#include <vector>

#include "output/results_stream.hpp"
#include "run/runner.hpp"

namespace clustersim::output {

struct InputFile {
    std::string path;    ///< as given on the command line / relative to the catalog root
    std::string sha256;  ///< of the file's bytes
};

struct RunProvenance {
    std::vector<InputFile> scenarios;
    std::string catalog_dir;
    std::vector<InputFile> catalog_files;  ///< sorted by path
};

/// Hashes every scenario file and the catalog files that were loaded. Throws diag::IoError.
RunProvenance collect_provenance(const std::vector<std::filesystem::path>& scenarios,
                                 const std::filesystem::path& catalog_dir,
                                 const std::vector<std::filesystem::path>& catalog_files);

/// `rows`: the whole run's; a shard's run.json also says which block of them it holds (and
/// merge_shards removes that line again).
std::string run_json(const RunProvenance& provenance, std::size_t rows, const Shard* shard = nullptr);

/// The version string printed by --version.
std::string version_string();

}  // namespace clustersim::output
