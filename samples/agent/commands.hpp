// The `vigil` subcommands that live in their own files (main.cc dispatches).
// Each takes the arguments after the subcommand name and returns the exit
// status.
#ifndef VIGIL_SAMPLES_AGENT_COMMANDS_HPP_
#define VIGIL_SAMPLES_AGENT_COMMANDS_HPP_

namespace vigil_cli {

int AssetsCommand(int argc, char** argv);  // assets_command.cc

}  // namespace vigil_cli

#endif  // VIGIL_SAMPLES_AGENT_COMMANDS_HPP_
