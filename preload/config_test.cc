#include "preload/config.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace ustack::preload {
namespace {

using Env = std::map<std::string, std::string>;

ConfigResult parse(const Env& env) {
    return parse_config([&](const char* name) -> const char* {
        auto it = env.find(name);
        return it == env.end() ? nullptr : it->second.c_str();
    });
}

Env minimal() { return {{"USTACK_DEVICE", "tap:tap0"}, {"USTACK_ADDRESS", "10.77.0.2/24"}}; }

TEST(Config, DeviceAndAddressAreEnough) {
    ConfigResult r = parse(minimal());
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(r.config.device, "tap:tap0");
    EXPECT_EQ(r.config.address.address, wire::Ipv4Addr::from_octets(10, 77, 0, 2));
    EXPECT_EQ(r.config.address.prefix_len, 24);
    EXPECT_FALSE(r.config.gateway);
    EXPECT_FALSE(r.config.mac);
    EXPECT_TRUE(r.config.pcap.empty());
    EXPECT_EQ(r.config.log_level, LogLevel::kWarn);
}

TEST(Config, StackIsRequestedOnlyWhenDeviceIsSet) {
    EXPECT_FALSE(stack_requested([](const char*) -> const char* { return nullptr; }));
    EXPECT_TRUE(stack_requested([](const char* n) -> const char* { return std::string(n) == "USTACK_DEVICE" ? "" : nullptr; }));
}

TEST(Config, EveryOptionalVariableIsRead) {
    Env env = minimal();
    env["USTACK_GATEWAY"] = "10.77.0.1";
    env["USTACK_MAC"] = "02:AA:bb:00:00:01";
    env["USTACK_PCAP"] = "/tmp/x.pcap";
    env["USTACK_LOG"] = "debug";
    env["USTACK_LOG_FILE"] = "/tmp/u.log";
    env["USTACK_BUSY_POLL"] = "50";
    ConfigResult r = parse(env);
    ASSERT_TRUE(r.ok()) << r.errors[0];
    EXPECT_EQ(r.config.log_file, "/tmp/u.log");
    EXPECT_EQ(r.config.busy_poll_us, 50u);
    EXPECT_EQ(r.config.gateway, wire::Ipv4Addr::from_octets(10, 77, 0, 1));
    ASSERT_TRUE(r.config.mac);
    EXPECT_EQ(r.config.mac->octets, (std::array<uint8_t, 6>{0x02, 0xaa, 0xbb, 0, 0, 1}));
    EXPECT_EQ(r.config.pcap, "/tmp/x.pcap");
    EXPECT_EQ(r.config.log_level, LogLevel::kDebug);
}

TEST(Config, BusyPollIsOffUnlessSet) {
    EXPECT_EQ(parse(minimal()).config.busy_poll_us, 0u);
    Env env = minimal();
    env["USTACK_BUSY_POLL"] = "1000000";
    EXPECT_EQ(parse(env).config.busy_poll_us, 1'000'000u);
}

TEST(Config, BusyPollOutsideZeroToOneSecondIsNamed) {
    for (const char* v : {"", "5x", "-1", "1000001"}) {
        Env env = minimal();
        env["USTACK_BUSY_POLL"] = v;
        ConfigResult r = parse(env);
        ASSERT_EQ(r.errors.size(), 1u) << v;
        EXPECT_EQ(r.errors[0], "USTACK_BUSY_POLL=\"" + std::string(v) + "\" is not microseconds from 0 to 1000000; set it like 50");
    }
}

TEST(Config, EmptyLogFileIsNamed) {
    Env env = minimal();
    env["USTACK_LOG_FILE"] = "";
    ConfigResult r = parse(env);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_NE(r.errors[0].find("USTACK_LOG_FILE is set but empty"), std::string::npos);
}

TEST(Config, PacketAndFdDevicesAreAccepted) {
    for (const char* d : {"packet:pkt0", "fd:3"}) {
        Env env = minimal();
        env["USTACK_DEVICE"] = d;
        EXPECT_TRUE(parse(env).ok()) << d;
    }
}

TEST(Config, BadDeviceIsOneLineNamingTheVariableAndTheFix) {
    for (const char* d : {"", "eth0", "tap:", "fd:x", "fd:-1", "packet:this-name-is-too-long"}) {
        Env env = minimal();
        env["USTACK_DEVICE"] = d;
        ConfigResult r = parse(env);
        ASSERT_EQ(r.errors.size(), 1u) << d;
        EXPECT_EQ(r.errors[0].rfind("USTACK_DEVICE", 0), 0u) << r.errors[0];
        EXPECT_NE(r.errors[0].find("set it like tap:tap0"), std::string::npos) << r.errors[0];
    }
}

TEST(Config, MissingAddressIsOneLine) {
    Env env = minimal();
    env.erase("USTACK_ADDRESS");
    ConfigResult r = parse(env);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0], "USTACK_ADDRESS is not set; set it like 10.77.0.2/24");
}

TEST(Config, MalformedAddressMatchesTheContract) {
    Env env = minimal();
    env["USTACK_ADDRESS"] = "10.77.0.300/24";
    ConfigResult r = parse(env);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0], "USTACK_ADDRESS=\"10.77.0.300/24\" is not an IPv4 address with prefix length; set it like 10.77.0.2/24");
}

TEST(Config, AddressWithoutPrefixIsRejected) {
    Env env = minimal();
    env["USTACK_ADDRESS"] = "10.77.0.2";
    EXPECT_EQ(parse(env).errors.size(), 1u);
}

TEST(Config, NetworkBroadcastLoopbackAndMulticastAreNotHostAddresses) {
    for (const char* a : {"10.77.0.0/24", "10.77.0.255/24", "127.0.0.2/8", "224.0.0.1/24", "0.0.0.0/0"}) {
        Env env = minimal();
        env["USTACK_ADDRESS"] = a;
        ConfigResult r = parse(env);
        ASSERT_EQ(r.errors.size(), 1u) << a;
        EXPECT_NE(r.errors[0].find("not a usable host address"), std::string::npos) << r.errors[0];
    }
}

TEST(Config, PointToPointPrefixesHaveNoNetworkOrBroadcastAddress) {
    for (const char* a : {"10.0.0.0/31", "10.0.0.1/31", "10.0.0.7/32"}) {
        Env env = minimal();
        env["USTACK_ADDRESS"] = a;
        EXPECT_TRUE(parse(env).ok()) << a;
    }
}

TEST(Config, GatewayOutsideTheSubnetIsRejected) {
    Env env = minimal();
    env["USTACK_GATEWAY"] = "10.78.0.1";
    ConfigResult r = parse(env);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0], "USTACK_GATEWAY=\"10.78.0.1\" is not another host inside USTACK_ADDRESS's subnet 10.77.0.0/24; "
                           "set it to the router's address in that subnet, or unset it");
}

TEST(Config, GatewayEqualToOurOwnAddressIsRejected) {
    Env env = minimal();
    env["USTACK_GATEWAY"] = "10.77.0.2";
    EXPECT_EQ(parse(env).errors.size(), 1u);
}

TEST(Config, MalformedGatewayIsOneLine) {
    Env env = minimal();
    env["USTACK_GATEWAY"] = "10.77.0";
    ConfigResult r = parse(env);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].rfind("USTACK_GATEWAY=\"10.77.0\" is not an IPv4 address", 0), 0u);
}

TEST(Config, EmptyGatewayMeansNone) {
    Env env = minimal();
    env["USTACK_GATEWAY"] = "";
    ConfigResult r = parse(env);
    EXPECT_TRUE(r.ok());
    EXPECT_FALSE(r.config.gateway);
}

TEST(Config, MalformedOrMulticastMacIsOneLine) {
    for (const char* m : {"02:00:00:00:00", "zz:00:00:00:00:01", "01:00:5e:00:00:01", "00:00:00:00:00:00"}) {
        Env env = minimal();
        env["USTACK_MAC"] = m;
        ConfigResult r = parse(env);
        ASSERT_EQ(r.errors.size(), 1u) << m;
        EXPECT_EQ(r.errors[0].rfind("USTACK_MAC=", 0), 0u);
    }
}

TEST(Config, UnknownLogLevelIsOneLine) {
    Env env = minimal();
    env["USTACK_LOG"] = "verbose";
    ConfigResult r = parse(env);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0], "USTACK_LOG=\"verbose\" is not a log level; set it to one of error, warn, info, debug");
}

TEST(Config, EmptyPcapPathIsOneLine) {
    Env env = minimal();
    env["USTACK_PCAP"] = "";
    EXPECT_EQ(parse(env).errors.size(), 1u);
}

TEST(Config, OffloadsAreOnUnlessTurnedOff) {
    Env env = minimal();
    EXPECT_TRUE(parse(env).config.offloads);
    env["USTACK_OFFLOADS"] = "off";
    EXPECT_FALSE(parse(env).config.offloads);
    env["USTACK_OFFLOADS"] = "on";
    EXPECT_TRUE(parse(env).config.offloads);
    env["USTACK_OFFLOADS"] = "0";
    ASSERT_EQ(parse(env).errors.size(), 1u);
    EXPECT_EQ(parse(env).errors[0].rfind("USTACK_OFFLOADS", 0), 0u) << parse(env).errors[0];
}

TEST(Config, PacketRingIsTheReceiveRingUnlessChosen) {
    Env env = minimal();
    EXPECT_EQ(parse(env).config.packet_rings, netdev::PacketRings::kRx);
    env["USTACK_PACKET_RING"] = "both";
    EXPECT_EQ(parse(env).config.packet_rings, netdev::PacketRings::kBoth);
    env["USTACK_PACKET_RING"] = "off";
    EXPECT_EQ(parse(env).config.packet_rings, netdev::PacketRings::kNone);
    env["USTACK_PACKET_RING"] = "rx";
    EXPECT_EQ(parse(env).config.packet_rings, netdev::PacketRings::kRx);
    env["USTACK_PACKET_RING"] = "tx";
    EXPECT_EQ(parse(env).config.packet_rings, netdev::PacketRings::kTx);
    env["USTACK_PACKET_RING"] = "on";
    ASSERT_EQ(parse(env).errors.size(), 1u);
    EXPECT_EQ(parse(env).errors[0].rfind("USTACK_PACKET_RING", 0), 0u) << parse(env).errors[0];
}

TEST(Config, EachBadVariableGetsItsOwnLine) {
    Env env{{"USTACK_DEVICE", "nope"}, {"USTACK_ADDRESS", "x"}, {"USTACK_MAC", "y"}, {"USTACK_LOG", "z"}};
    EXPECT_EQ(parse(env).errors.size(), 4u);
}

TEST(ChooseMac, ConfiguredWinsOverTheDevice) {
    wire::MacAddr configured{{0x02, 1, 2, 3, 4, 5}}, hw{{0x00, 9, 9, 9, 9, 9}};
    EXPECT_EQ(choose_mac(configured, hw, wire::Ipv4Addr{}), configured);
}

TEST(ChooseMac, DeviceAddressIsUsedWhenNoneIsConfigured) {
    wire::MacAddr hw{{0x00, 9, 9, 9, 9, 9}};
    EXPECT_EQ(choose_mac(std::nullopt, hw, wire::Ipv4Addr{}), hw);
}

TEST(ChooseMac, OtherwiseLocallyAdministeredUnicastMadeFromTheAddress) {
    wire::MacAddr a = choose_mac(std::nullopt, std::nullopt, wire::Ipv4Addr::from_octets(10, 77, 0, 2));
    EXPECT_EQ(a.octets, (std::array<uint8_t, 6>{0x02, 0x00, 10, 77, 0, 2}));
    EXPECT_FALSE(a.is_multicast());
}

TEST(ChooseMac, DifferentAddressesGetDifferentMacs) {
    EXPECT_NE(choose_mac(std::nullopt, std::nullopt, wire::Ipv4Addr::from_octets(10, 77, 0, 2)),
              choose_mac(std::nullopt, std::nullopt, wire::Ipv4Addr::from_octets(10, 77, 0, 3)));
}

TEST(LogLevel, UnsetMeansWarn) {
    EXPECT_EQ(parse_log_level(nullptr), LogLevel::kWarn);
    EXPECT_EQ(parse_log_level("error"), LogLevel::kError);
    EXPECT_FALSE(parse_log_level("WARN"));
}

}  // namespace
}  // namespace ustack::preload
