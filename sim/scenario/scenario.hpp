#pragma once
// A scenario after decoding and validation: named cases, each a resolved cluster.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "catalog/cluster.hpp"
#include "comm/model.hpp"
#include "diag/diagnostic.hpp"
#include "economics/model.hpp"
#include "reliability/model.hpp"
#include "serve/spec.hpp"
#include "train/plan.hpp"
#include "train/validation.hpp"

namespace clustersim::scenario {

struct Case {
    std::string name;      ///< unique; sweep points are "case|axis=label|..."
    std::string case_name;  ///< the case as written (`name` without the sweep point)
    /// The (axis key, label) of each sweep factor that does not set `count`, in axis order: the rows of
    /// a case with the same series form one curve against chip count (a `count` zipped with other axes,
    /// such as the topology's size, counts as one size axis). series_text writes it as one string.
    std::vector<std::pair<std::string, std::string>> series;
    std::string baseline;  ///< name of the case it is compared with, or empty
    catalog::Cluster cluster;
    std::optional<train::TrainingSpec> training;  ///< the case's training job (plan: dp set; no plan: searched)
    std::optional<serve::ServingSpec> serving;     ///< the case's serving job
    std::optional<reliability::JobSpec> reliability;  ///< failures and checkpoints of the training job
    std::optional<economics::Assumptions> economics;  ///< electricity, PUE, amortisation: power and cost per token
    std::optional<train::Measurement> measured;    ///< a published measurement of the case's job (validation cases)
    std::optional<comm::BenchmarkSpec> comm;       ///< a collective benchmark on the case's network (`clustersim comm`)
    /// The network the training, serving or comm job runs on: the cluster's topology, or, for a system
    /// resized to fewer chips (whose aggregates have no topology), the system's own, of which the job
    /// uses the first chip_count accelerators.
    std::shared_ptr<const catalog::TopologySpec> job_network;
    diag::Location where;
};

/// How many chips of one case deliver what another case's chips do (a `crossover:` entry): for each
/// row of `reference`, the chip count at which `candidate`'s rows at the same sweep point (but for
/// `count`) reach its throughput.
struct Crossover {
    enum class Metric { training, serving };  ///< training tokens/s, or serving output tokens/s
    std::string reference;  ///< case names as written
    std::string candidate;
    Metric metric = Metric::training;
    diag::Location where;
};

/// A case's series as text, "axis=label|axis=label" ("" without): the `series` column.
std::string series_text(const Case& c);

struct Scenario {
    std::string name;
    diag::Location name_where;  ///< of the `scenario:` value
    std::string description;
    std::filesystem::path file;
    std::vector<Case> cases;  ///< in file order; sweep points of a case follow it, last axis fastest
    std::vector<Crossover> crossovers;
};

}  // namespace clustersim::scenario
