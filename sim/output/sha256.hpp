#pragma once
// SHA-256 (FIPS 180-4) of a byte string, as lowercase hex; used to record input files in run.json.
#include <string>
#include <string_view>

namespace clustersim::output {

std::string sha256_hex(std::string_view bytes);

}  // namespace clustersim::output
