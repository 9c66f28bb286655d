#include <gtest/gtest.h>

#include "core/model/info.h"

namespace atl::model {
namespace {

TEST(CommandLine, ShellCommandsRunThroughBinSh) {
  CommandInfo c;
  c.value = "echo $HOME && sleep 1";
  CommandLine line = CommandLineOf(c);
  EXPECT_EQ(line.path, "/bin/sh");
  EXPECT_EQ(line.argv, (std::vector<std::string>{"sh", "-c", "echo $HOME && sleep 1"}));
}

TEST(CommandLine, ArgvFormExecutesTheValueWithTheArgumentsAsTheWholeArgv) {
  CommandInfo c;
  c.shell = false;
  c.value = "/usr/bin/python3";
  c.arguments = {"python3", "-m", "http.server"};
  CommandLine line = CommandLineOf(c);
  EXPECT_EQ(line.path, "/usr/bin/python3");
  EXPECT_EQ(line.argv, (std::vector<std::string>{"python3", "-m", "http.server"}));
  c.arguments.clear();
  EXPECT_EQ(CommandLineOf(c).argv, std::vector<std::string>{"/usr/bin/python3"});
}

}  // namespace
}  // namespace atl::model
