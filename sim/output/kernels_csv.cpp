#include "output/kernels_csv.hpp"

#include <fmt/format.h>

#include <variant>

#include "output/csv.hpp"
#include "units/format.hpp"

namespace clustersim::output {

namespace {
std::string count(std::int64_t x) { return std::to_string(x); }

/// The shape columns: m, n, k, batch of a product; batch, heads_q, heads_kv, head_dim, head_dim_v, seq_q, seq_kv,
/// causal of an attention kernel; empty cells elsewhere.
std::string shape_cells(const chip::Operation& op) {
    if (const auto* mm = std::get_if<chip::Matmul>(&op))
        return fmt::format("{},{},{},{},,,,,,,,", mm->m, mm->n, mm->k, mm->batch);
    if (const auto* a = std::get_if<chip::Attention>(&op))
        return fmt::format(",,,,{},{},{},{},{},{},{},{}", a->batch, a->heads_q, a->heads_kv, a->head_dim,
                           a->head_dim_v > 0 ? a->head_dim_v : a->head_dim, a->seq_q, a->seq_kv, a->causal ? "true" : "false");
    return ",,,,,,,,,,,";
}

std::string dtype_of(const chip::Operation& op) {
    if (const auto* mm = std::get_if<chip::Matmul>(&op)) return std::string(chip::to_string(mm->dtype));
    if (const auto* a = std::get_if<chip::Attention>(&op)) return std::string(chip::to_string(a->dtype));
    return "";
}

std::string_view gradient_of(const chip::Operation& op) {
    if (const auto* mm = std::get_if<chip::Matmul>(&op)) return chip::to_string(mm->gradient);
    return "";
}
}  // namespace

std::string kernels_header() {
    return "scenario,case,job,plan,rank,micro_batches,part,pass,index,kernel,gradient,kind,m,n,k,batch,attention_batch,heads_q,"
           "heads_kv,head_dim,head_dim_v,seq_q,seq_kv,causal,dtype,flop,bytes,compute_s,memory_s,overhead_s,time_s,bound,"
           "delivered_flop_per_s,calls_per_step,step_s,kernels_share\n";
}

std::string kernels_rows(const std::string& scenario, const std::string& case_name, const KernelTable& t) {
    const std::string head = csv_field(scenario) + "," + csv_field(case_name) + "," + t.job + "," + csv_field(t.plan) + "," +
                             (t.rank ? count(*t.rank) : std::string()) + "," + count(t.micro_batches) + ",";
    std::string out;
    for (const auto& r : *t.rows) {
        const auto& c = r.cost;
        out += head + fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.part, r.pass, r.index,
                                  csv_field(std::string(chip::name_of(r.op))), gradient_of(r.op), chip::kind_of(r.op), shape_cells(r.op),
                                  dtype_of(r.op), units::round_trip(c.flops), units::round_trip(c.bytes),
                                  units::round_trip(c.compute_s), units::round_trip(c.memory_s), units::round_trip(c.overhead_s),
                                  units::round_trip(c.time_s), chip::to_string(c.bound),
                                  units::round_trip(c.delivered_flop_per_s()), units::round_trip(r.calls_per_step),
                                  units::round_trip(r.step_s()), units::round_trip(t.kernels_s > 0 ? r.step_s() / t.kernels_s : 0.0));
    }
    return out;
}

}  // namespace clustersim::output
