namespace MLNetExt.Bench;

/// <summary>One benchmark. Its last output line is "<c>Id</c>: ratio", measured side by side in one run.</summary>
public interface IBenchmark
{
    string Id { get; }
    string Description { get; }
    void Run(string[] args);
}
