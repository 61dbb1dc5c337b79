#pragma once
// Human-readable rendering of SI values with a prefix ("2.5 PFLOP/s", "48 TiB").
#include <string>

#include "units/dimension.hpp"

namespace clustersim::units {

/// Renders with a decimal prefix and 4 significant digits: format_si(2.5e15, compute_rate) = "2.5 PFLOP/s".
/// Money is written in words: "25000 USD" (whole dollars below a million), "3.1 million USD", "1.2 billion USD".
std::string format_si(double value_si, Dimension d);
/// Renders a byte count with a binary prefix: format_binary_bytes(48 * 2^40) = "48 TiB".
std::string format_binary_bytes(double bytes);
/// Shortest decimal text that reads back to exactly the same double (for CSV and JSON);
/// integral values below 2^53 print as plain integers ("200000", not "2e+05").
std::string round_trip(double v);

}  // namespace clustersim::units
