#pragma once
// Decodes one workload file (models/workloads/ID.yaml, docs/catalog-format.md#workload-files) into
// catalog::WorkloadSpec, reporting every problem at once as FILE:LINE:COL: error: key.path: message.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "catalog/catalog.hpp"
#include "catalog/workload.hpp"
#include "diag/diagnostic.hpp"
#include "scenario/yaml_reader.hpp"

namespace clustersim::scenario {

/// Decodes and validates `file`; every problem goes to `diags`. Returns the workload when the
/// file has no problem, nullopt otherwise. An unreadable file throws diag::IoError.
std::optional<catalog::WorkloadSpec> decode_workload(const std::filesystem::path& file, diag::Diagnostics& diags);

/// The same for text already in memory; `name` stands for the file in diagnostics, and its stem
/// is the id the file's `id` must equal.
std::optional<catalog::WorkloadSpec> decode_workload_text(const std::string& content, const std::string& name,
                                                          diag::Diagnostics& diags);

/// The workload a job section names under its required key `workload` (training, serving); reports a
/// missing key or an unknown id (with a did-you-mean and the valid ids) and returns nullptr then.
std::shared_ptr<const catalog::WorkloadSpec> workload_of(const Source& src, const MapReader& m, const catalog::Catalog& cat);

/// Loads one workload file on its own. Throws diag::InputError with every problem, or diag::IoError.
catalog::WorkloadSpec load_workload(const std::filesystem::path& file);

}  // namespace clustersim::scenario
