global using Transformer.Tests.Shared;
global using Xunit;
