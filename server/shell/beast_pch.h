// Precompiled for the shell's .cpp files: Asio and Beast declarations are
// most of their compile time.
#pragma once
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
