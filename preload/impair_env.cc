#include "preload/impair_env.h"

#include <cstdlib>
#include <string_view>

#include "netdev/impair.h"

namespace ustack::preload {
namespace {

bool parse_number(std::string_view text, double* out) {
    if (text.empty()) return false;
    const std::string copy(text);
    char* end = nullptr;
    *out = std::strtod(copy.c_str(), &end);
    return end == copy.c_str() + copy.size() && *out >= 0;
}

}  // namespace

ImpairWrap wrap_with_impairment(std::unique_ptr<netdev::Device> device, const char* spec) {
    if (spec == nullptr || *spec == '\0') return {std::move(device), ""};
    netdev::ImpairOptions o;
    netdev::Impairment both;
    std::string_view rest(spec);
    while (!rest.empty()) {
        const size_t comma = rest.find(',');
        const std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        const size_t eq = item.find('=');
        double v = 0;
        if (eq == std::string_view::npos || !parse_number(item.substr(eq + 1), &v)) {
            return {nullptr, "USTACK_IMPAIR=\"" + std::string(spec) + "\": '" + std::string(item) +
                                 "' is not KEY=NUMBER; use e.g. drop=5,reorder=2,dup=1,corrupt=0.5,delay_us=200,seed=7"};
        }
        const std::string_view key = item.substr(0, eq);
        if (key == "drop") both.drop = v / 100;
        else if (key == "dup") both.duplicate = v / 100;
        else if (key == "corrupt") both.corrupt = v / 100;
        else if (key == "reorder") both.reorder = v / 100;
        else if (key == "delay_us") both.delay = std::chrono::microseconds(static_cast<int64_t>(v));
        else if (key == "reorder_delay_us") both.reorder_delay = std::chrono::microseconds(static_cast<int64_t>(v));
        else if (key == "seed") o.seed = static_cast<uint64_t>(v);
        else {
            return {nullptr, "USTACK_IMPAIR: unknown key '" + std::string(key) +
                                 "'; known keys: drop, dup, corrupt, reorder (percent), delay_us, reorder_delay_us, seed"};
        }
    }
    if (both.drop > 1 || both.duplicate > 1 || both.corrupt > 1 || both.reorder > 1) {
        return {nullptr, "USTACK_IMPAIR=\"" + std::string(spec) + "\": rates are percentages from 0 to 100"};
    }
    o.rx = both;
    o.tx = both;
    netdev::ImpairDevice::Result r = netdev::ImpairDevice::wrap(std::move(device), o);
    if (!r.device) return {nullptr, r.error};
    return {std::move(r.device), ""};
}

}  // namespace ustack::preload
