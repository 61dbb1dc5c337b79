#pragma once
// The crossover: how many chips of a candidate (the weaker chip) deliver what a reference's chips
// (the stronger one) do, from the rows of a run. docs/weaker-chip-bigger-cluster.md.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "run/runner.hpp"
#include "scenario/scenario.hpp"

namespace clustersim::run {

/// One reference row and the candidate chip count that matches its throughput.
struct CrossoverRow {
    std::string reference_row;  ///< the reference's row name
    std::string candidate;      ///< the candidate case as written
    std::string point;          ///< the candidate curve's series: its sweep labels but for the size axes ("" without)
    std::string metric;         ///< "training tokens/s" or "serving output tokens/s"
    std::int64_t reference_chips = 0;
    double reference_tokens_per_s = 0;
    /// at_point: a candidate row matches exactly; interpolated: between two candidate rows (log-log);
    /// at_most: the candidate's smallest row already delivers more; not_reached: its largest row
    /// delivers less; no_reference: the reference row has no throughput (its problem column says why).
    enum class Status { at_point, interpolated, at_most, not_reached, no_reference } status = Status::no_reference;
    std::optional<double> candidate_chips;  ///< at_most: the smallest row's count; not_reached: none
    std::int64_t candidate_max_chips = 0;   ///< the largest candidate row with a throughput (0: none)
    double candidate_max_tokens_per_s = 0;
};

std::string_view to_string(CrossoverRow::Status s);

/// Every crossover of the scenario, over the rows of `run` (the scenario's results, in case order):
/// for each reference row and each of the candidate's curves (its rows of one scenario::Case::series,
/// by chip count) whose shared sweep labels agree with the row's, the smallest count whose throughput
/// reaches the reference's, interpolated log-log with the row below it. Rows without a throughput
/// are skipped.
std::vector<CrossoverRow> crossovers(const scenario::Scenario& scenario, const RunResult& run);

}  // namespace clustersim::run
