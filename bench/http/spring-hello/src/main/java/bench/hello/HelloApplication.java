package bench.hello;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** GET / answers "hello from pid N"; the port comes from $PORT (see application.properties). */
@SpringBootApplication
@RestController
public class HelloApplication {
    private static final String HELLO = "hello from pid " + ProcessHandle.current().pid() + "\n";

    public static void main(String[] args) {
        SpringApplication.run(HelloApplication.class, args);
    }

    @GetMapping("/")
    public String hello() {
        return HELLO;
    }
}
