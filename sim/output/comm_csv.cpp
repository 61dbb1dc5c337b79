#include "output/comm_csv.hpp"

#include <fmt/format.h>

#include "output/csv.hpp"
#include "units/format.hpp"

namespace clustersim::output {

std::string comm_csv(const std::string& scenario, const std::vector<run::CommBenchmark>& benchmarks) {
    std::string csv =
        "scenario,case,system,chips,collective,group_size,groups,stride,algorithm,size_bytes,time_s,algbw_bytes_per_s,"
        "busbw_bytes_per_s,bottleneck,bottleneck_utilisation\n";
    for (const auto& b : benchmarks) {
        for (const auto& r : b.rows) {
            csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(scenario), csv_field(b.case_name),
                               csv_field(b.system_id), b.chips, comm::to_string(b.spec.kind), b.group_size, b.groups,
                               b.spec.stride, csv_field(r.algorithm), units::round_trip(r.bytes.si()),
                               units::round_trip(r.time.si()), units::round_trip(r.algbw.si()), units::round_trip(r.busbw.si()),
                               csv_field(r.bottleneck), units::round_trip(r.bottleneck_utilisation));
        }
    }
    return csv;
}

}  // namespace clustersim::output
