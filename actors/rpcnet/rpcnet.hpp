// Everything a program needs to serve and call rpcnet methods.
#pragma once

#include <rpcnet/actors/atoms.hpp>
#include <rpcnet/actors/client_connection.hpp>
#include <rpcnet/actors/client_stream.hpp>
#include <rpcnet/actors/error_trailers.hpp>
#include <rpcnet/actors/health_service.hpp>
#include <rpcnet/actors/rpc_client.hpp>
#include <rpcnet/actors/rpc_config.hpp>
#include <rpcnet/actors/rpc_server.hpp>
#include <rpcnet/actors/streaming_handler.hpp>
#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/actors/unary_handler.hpp>
#include <rpcnet/transport/byte_buffer.hpp>
#include <rpcnet/transport/error.hpp>
